package feed

import (
	"context"
	"errors"

	"livefeed/server/eventlog"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// Catching a subscriber up: the recent events in memory, the log, or a
// snapshot after history_gone.

// RecentEvents is how many of the newest events (of all feeds) the service
// keeps in memory, encoded: resumes that fall within them are served without
// reading the log.
const RecentEvents = 4096

type recentEvent struct {
	ev  protocol.Event
	msg []byte
}

// Event returns the event at seq, from memory when recent, else from the
// log (false if it is no longer retained).
func (s *Service) Event(ctx context.Context, seq uint64) (protocol.Event, bool) {
	s.recentMu.Lock()
	ev := s.recent[seq%RecentEvents].ev
	s.recentMu.Unlock()
	if ev.Pos == seq && seq != 0 {
		return ev, true
	}
	r, err := s.log.Get(ctx, seq)
	if err != nil {
		return protocol.Event{}, false
	}
	ev, err = EventOf(r)
	return ev, err == nil
}

// CatchUp brings a new subscription up to date: for ModeSnapshot a
// snapshot; for ModeResume every event of the feed after sub.Pos, or
// HistoryGone and a snapshot when they are no longer all retained; for
// ModeLive nothing. Messages go through send as WebSocket text frames
// (wsframe.Text; a snapshot's is shared with its other readers, and must
// not be modified), and send may block. It returns
// the feed position the subscriber now has; live events at or below it
// must be dropped, those above it delivered. The caller must have joined
// the hub (buffering live events) before calling CatchUp. me is the
// subscriber's user id (a snapshot lists their reactions first).
func (s *Service) CatchUp(ctx context.Context, me string, sub protocol.Sub, send func([]byte) error) (uint64, error) {
	switch sub.Mode {
	case protocol.ModeLive:
		return s.view.FeedLast(sub.Feed), nil
	case protocol.ModeSnapshot:
		return s.sendSnapshot(sub.Feed, me, send)
	}
	s.Stats.Resumes.Add(1)
	before := s.view.FeedLast(sub.Feed)
	first, last, err := s.log.Bounds(ctx)
	if err != nil {
		return 0, err
	}
	if sub.Pos > last || sub.Epoch != "" && sub.Epoch != s.log.Epoch() {
		// A position of another log (this one was recreated or restored,
		// and may have grown past it): it means nothing here.
		return s.historyGone(sub, me, first, send)
	}
	if evs, ok := s.recentSince(sub.Feed, sub.Pos); ok {
		pos := sub.Pos
		for i, e := range evs {
			if i == 0 && e.ev.Prev > sub.Pos {
				return s.historyGone(sub, me, first, send)
			}
			if err := send(wsframe.Text(e.msg)); err != nil {
				return 0, err
			}
			s.Stats.Replayed.Add(1)
			pos = e.ev.Pos
		}
		if len(evs) == 0 && before > sub.Pos {
			return s.historyGone(sub, me, first, send)
		}
		return pos, nil
	}
	pos := sub.Pos
	gone := false
	read := 0
	err = s.log.ReadFeed(ctx, sub.Feed, sub.Pos+1, 0, func(r eventlog.Record) error {
		ev, err := EventOf(r)
		if err != nil {
			return err
		}
		if read == 0 && ev.Prev > sub.Pos {
			gone = true
			return errStop
		}
		read++
		s.Stats.Replayed.Add(1)
		pos = ev.Pos
		return send(wsframe.Text(protocol.MustEncode(ev)))
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err != nil {
		return 0, err
	}
	if gone || read == 0 && before > sub.Pos {
		return s.historyGone(sub, me, first, send)
	}
	return pos, nil
}

var errStop = errors.New("stop")

// recentSince returns feed's events after pos from memory, if memory holds
// every event (of any feed) after pos.
func (s *Service) recentSince(feed string, pos uint64) ([]recentEvent, bool) {
	s.recentMu.Lock()
	defer s.recentMu.Unlock()
	if s.recentLast < pos || s.recentLast-pos >= RecentEvents || pos+1 < s.first.Load() {
		return nil, false // not all in memory, or older than the log retains
	}
	var out []recentEvent
	for seq := pos + 1; seq <= s.recentLast; seq++ {
		e := s.recent[seq%RecentEvents]
		if e.ev.Pos != seq {
			return nil, false // not applied by this node (e.g. before a restart)
		}
		if e.ev.Feed == feed {
			out = append(out, e)
		}
	}
	return out, true
}

func (s *Service) historyGone(sub protocol.Sub, me string, first uint64, send func([]byte) error) (uint64, error) {
	s.Stats.HistoryGone.Add(1)
	if err := send(wsframe.Text(protocol.MustEncode(protocol.HistoryGone{Feed: sub.Feed, Pos: sub.Pos, First: first}))); err != nil {
		return 0, err
	}
	return s.sendSnapshot(sub.Feed, me, send)
}

// SnapshotFor is the view's snapshot of feed for user me (View.SnapshotFor)
// with the log's epoch.
func (s *Service) SnapshotFor(feed, me string) protocol.Snapshot {
	snap := s.view.SnapshotFor(feed, me)
	snap.Epoch = s.log.Epoch()
	return snap
}

// sendSnapshot sends the snapshot of feed for me, shared with the other
// readers of the same position where it can be (View.SnapshotMessage).
func (s *Service) sendSnapshot(feed, me string, send func([]byte) error) (uint64, error) {
	frame, pos := s.view.SnapshotFrame(feed, me, s.log.Epoch())
	s.Stats.Snapshots.Add(1)
	return pos, send(frame)
}
