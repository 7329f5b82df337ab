package feed

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sync"
	"time"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// The write path: an action validated against the view, appended with
// the feed's last position expected, retried when another node won the
// race, acknowledged once applied.

func (s *Service) lockFor(feed string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(feed))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

// ConflictBudget bounds how long Do keeps retrying an append that lost a
// race with another node writing to the same feed (or that a replicated
// stream refused while an earlier append to the feed was being committed).
const ConflictBudget = 5 * time.Second

// Do validates action a by user u against the view, appends it to the log
// and returns the acknowledgement once the view has applied it. An op id
// already applied returns the first acknowledgement again, with Duplicate
// set. Validation errors are *protocol.Error.
func (s *Service) Do(ctx context.Context, u protocol.User, a protocol.Action) (protocol.Ack, error) {
	if a.Epoch != "" && a.Epoch != s.log.Epoch() {
		// The client saw the post it names in another log (this one was
		// recreated or restored): a post of this log may share its id.
		s.Stats.Rejected.Add(1)
		e := protocol.Errorf(protocol.CodeNotFound, "post %q is of another log (epoch %q; this log is %q): it was reset", a.ID, a.Epoch, s.log.Epoch())
		e.Op, e.Feed = a.Op, a.Feed
		return protocol.Ack{}, e
	}
	mu := s.lockFor(a.Feed)
	mu.Lock()
	defer mu.Unlock()
	begin := time.Now()
	charged := false // for creating a feed, once per call
	for attempt := 0; ; attempt++ {
		if o, ok := s.view.op(u.ID, a.Op); ok {
			s.Stats.Duplicates.Add(1)
			return s.ackOf(ctx, a, o.Seq, true), nil
		}
		rec, perr := s.view.check(u, a)
		if perr != nil {
			s.Stats.Rejected.Add(1)
			perr.Op, perr.Feed = a.Op, a.Feed
			return protocol.Ack{}, perr
		}
		if a.Kind() == protocol.TypePost && !charged && s.view.isNewFeed(a.Feed) {
			charged = true
			if perr := s.newFeeds.take(ctx, u); perr != nil {
				s.Stats.Rejected.Add(1)
				perr.Op, perr.Feed = a.Op, a.Feed
				return protocol.Ack{}, perr
			}
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return protocol.Ack{}, err
		}
		start := time.Now()
		seq, dup, err := s.log.Append(ctx, a.Feed, data, eventlog.AppendOptions{
			ExpectLast: true, LastSeq: rec.Prev, MsgID: opKey(u.ID, a.Op),
		})
		if s.cfg.ObserveAppend != nil {
			s.cfg.ObserveAppend(time.Since(start))
		}
		if errors.Is(err, eventlog.ErrConflict) && time.Since(begin) < ConflictBudget {
			s.Stats.Conflicts.Add(1)
			// Another node appended to this feed first: wait until the
			// view has moved past the position we expected (or a short,
			// growing while: the append that beat us may still be
			// committing), then validate again.
			wait := min(5*time.Millisecond<<min(attempt, 6), 250*time.Millisecond)
			wctx, cancel := context.WithTimeout(ctx, wait)
			s.waitFeedMoved(wctx, a.Feed, rec.Prev)
			cancel()
			if ctx.Err() != nil {
				return protocol.Ack{}, ctx.Err()
			}
			continue
		}
		if err != nil {
			e := protocol.Errorf(protocol.CodeInternal, "could not store the action; send it again")
			e.Temporary, e.Op, e.Feed = true, a.Op, a.Feed
			s.lg.Error("append failed", "feed", a.Feed, "op", a.Op, "err", err)
			return protocol.Ack{}, e
		}
		if err := s.WaitApplied(ctx, seq); err != nil {
			return protocol.Ack{}, err
		}
		if dup {
			s.Stats.Duplicates.Add(1)
		} else {
			s.Stats.Actions.Add(1)
		}
		return s.ackOf(ctx, a, seq, dup), nil
	}
}

// ackOf builds the acknowledgement of the record at seq.
func (s *Service) ackOf(ctx context.Context, a protocol.Action, seq uint64, dup bool) protocol.Ack {
	ack := protocol.Ack{Op: a.Op, Feed: a.Feed, Pos: seq, Duplicate: dup}
	if ev, ok := s.Event(ctx, seq); ok {
		ack.ID, ack.Event = ev.ID, &ev
	}
	return ack
}
