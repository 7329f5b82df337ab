package session

import (
	"slices"
	"time"

	"livefeed/shared/protocol"
)

// Handling what the server sends: each message applied to the session's
// state.

// handle applies one message from the server.
func (s *Session) handle(c transport, m protocol.Message) error {
	var ups []Update
	var err error
	s.mu.Lock()
	switch m := m.(type) {
	case protocol.Welcome:
		select { // a RetryNow meant for the last wait is spent
		case <-s.kick:
		default:
		}
		s.status.User, s.status.AppVersion = m.User, m.AppVersion
		s.status.State, s.status.NextTry, s.status.LastError = StateLive, time.Time{}, ""
		s.status.Stats.Connects++
		if s.status.Stats.Connects > 1 {
			s.status.Stats.Reconnects++
		}
		ups = append(ups, Update{Kind: UpdateStatus})
		if m.Epoch != "" && s.box.rejectEpoch(m.Epoch) {
			_ = s.box.save(s.cfg.Store)
			ups = append(ups, Update{Kind: UpdateOutbox})
		}
	case protocol.Snapshot:
		if f := s.feeds[m.Feed]; f != nil {
			f.Reset(m)
			delete(s.held, m.Feed) // a page of the replaced posts
			s.dirty[m.Feed] = true
			ups = append(ups, Update{Kind: UpdateFeed, Feed: m.Feed})
		}
	case protocol.HistoryGone:
		s.status.Stats.HistoryGone++
		ups = append(ups, Update{Kind: UpdateStatus})
	case protocol.Subscribed:
		if f := s.feeds[m.Feed]; f != nil {
			if !f.Synced {
				f.Pos, f.Synced = m.Pos, true
				s.dirty[m.Feed] = true
			}
			if m.Epoch != "" && f.Epoch != m.Epoch {
				// Resumed in this epoch (one of another gets a snapshot
				// first, which set it): a position kept before epochs.
				f.Epoch = m.Epoch
				s.dirty[m.Feed] = true
			}
			s.subbed[m.Feed] = true
			if at, ok := s.subAt[m.Feed]; ok {
				s.status.Stats.LastCatchUp = time.Since(at)
			}
			ups = append(ups, Update{Kind: UpdateStatus})
		}
	case protocol.Event:
		f := s.feeds[m.Feed]
		if f == nil {
			break
		}
		switch f.Apply(m) {
		case AppliedOK:
			s.dirty[m.Feed] = true
			if !s.subbed[m.Feed] {
				s.status.Stats.Replayed++
			}
			ev := m
			ups = append(ups, Update{Kind: UpdateFeed, Feed: m.Feed, Event: &ev, Live: s.subbed[m.Feed]})
			s.mergeHeldLocked(m.Feed) // a page of history that waited for this event
			// Our own action's event may come before its ack: it is
			// applied, so it leaves the outbox now (the ack, when it
			// comes, still wakes WaitAck).
			mine := m.Author.ID == s.status.User.ID && s.box.applied(m.Op)
			if mine || s.box.dropSeen(m.Feed, f.Pos) {
				if mine {
					_ = s.box.save(s.cfg.Store)
				}
				ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
			}
		case AppliedDup:
			s.status.Stats.Duplicates++
			ups = append(ups, Update{Kind: UpdateStatus})
		case AppliedGap:
			s.status.Stats.Gaps++
			err = errGap
		}
	case protocol.Ack:
		f := s.feeds[m.Feed]
		waiting := f != nil && (!f.Synced || f.Pos < m.Pos) && slices.Contains(s.follow, m.Feed)
		if s.box.acked(m.Op, m.Pos, waiting) {
			_ = s.box.save(s.cfg.Store)
			ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
		}
		s.resolveLocked(m.Op, result{ack: m})
	case *protocol.Error:
		if m.Code == protocol.CodeUnsupportedVer {
			err = ErrUpdateRequired
			break
		}
		if m.Code == protocol.CodeSignedOut {
			err = ErrSignedOut
			break
		}
		if m.Op == "" {
			s.cfg.Logf("session: server error: %v", m)
			break
		}
		if m.Temporary {
			delay := max(time.Duration(m.RetryAfterMS)*time.Millisecond, TemporaryRetry)
			s.cfg.Logf("session: op %s failed for now (%v); resending in %v", m.Op, m, delay)
			op := m.Op
			time.AfterFunc(delay, func() { s.resend(c, op) })
			break
		}
		if s.box.reject(m.Op, *m) {
			_ = s.box.save(s.cfg.Store)
			ups = append(ups, Update{Kind: UpdateOutbox, Feed: m.Feed})
		}
		s.resolveLocked(m.Op, result{err: m})
	case protocol.Presence:
		s.presence[m.Feed] = m
		ups = append(ups, Update{Kind: UpdatePresence, Feed: m.Feed})
	case protocol.GoAway:
		err = goAwayErr{m}
	case protocol.Heartbeat:
	}
	s.mu.Unlock()
	s.notify(ups...)
	return err
}
