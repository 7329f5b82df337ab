package feed

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// The write path: an action validated against the view (and this node's
// actions of the feed still in flight, pipeline.go), stored with the feed's
// last position expected, retried when another node won the race,
// acknowledged once durable and applied.

// ConflictBudget bounds how long Do keeps retrying an append that lost a
// race with another node writing to the same feed (or that a replicated
// stream refused while an earlier append to the feed was being committed).
const ConflictBudget = 5 * time.Second

// Do validates action a by user u against the view, appends it to the log
// and returns the acknowledgement once the record is durable and the view
// has applied it. An op id already applied, or stored and in flight,
// returns the first acknowledgement again, with Duplicate set. Validation
// errors are *protocol.Error.
//
// The feed's lock is held while validating and storing only: the next
// action of the feed is stored, expecting this one as the feed's last,
// while this one waits for its fsync round (pipeline.go).
func (s *Service) Do(ctx context.Context, u protocol.User, a protocol.Action) (protocol.Ack, error) {
	if a.Epoch != "" && a.Epoch != s.log.Epoch() {
		// The client saw the post it names in another log (this one was
		// recreated or restored): a post of this log may share its id.
		s.Stats.Rejected.Add(1)
		e := protocol.Errorf(protocol.CodeNotFound, "post %q is of another log (epoch %q; this log is %q): it was reset", a.ID, a.Epoch, s.log.Epoch())
		e.Op, e.Feed = a.Op, a.Feed
		return protocol.Ack{}, e
	}
	st := s.stripeFor(a.Feed)
	st.mu.Lock()
	seq, dup, err := s.store(ctx, st, u, a)
	st.mu.Unlock()
	if err != nil {
		return protocol.Ack{}, err
	}
	start := time.Now()
	if err := s.log.WaitDurable(ctx, seq); err == nil && s.cfg.ObserveAppend != nil {
		s.cfg.ObserveAppend(time.Since(start)) // the store itself is ~0.1 ms
	}
	if err := s.settle(ctx, a, seq, false); err != nil {
		return protocol.Ack{}, err
	}
	if dup {
		s.Stats.Duplicates.Add(1)
	} else {
		s.Stats.Actions.Add(1)
	}
	return s.ackOf(ctx, a, seq, dup), nil
}

// store validates a and stores its record, st.mu held; it returns the
// record's position, or the first one's for a duplicate (maybe in
// flight).
func (s *Service) store(ctx context.Context, st *stripe, u protocol.User, a protocol.Action) (uint64, bool, error) {
	begin := time.Now()
	charged := false // for creating a feed, once per call
	key := opKey(u.ID, a.Op)
	for attempt := 0; ; attempt++ {
		p := st.pending(a.Feed, s.view.FeedLast(a.Feed))
		if o, ok := s.view.op(u.ID, a.Op); ok {
			return o.Seq, true, nil
		}
		if seq, ok := p.op(key); ok {
			return seq, true, nil
		}
		// Wait (holding the feed's lock) for the actions in flight this
		// one depends on: the oldest when the pipeline is full, those on
		// the post it acts on.
		wait := uint64(0)
		if p.len() >= PipelineDepth {
			wait = p.oldest()
		} else if a.Kind() != protocol.TypePost {
			wait = p.touching(a.ID)
		}
		if wait > 0 {
			if err := s.settle(ctx, a, wait, true); err != nil {
				return 0, false, err
			}
			continue
		}
		rec, perr := s.view.check(u, a, p.len() > 0)
		if perr != nil {
			s.Stats.Rejected.Add(1)
			perr.Op, perr.Feed = a.Op, a.Feed
			return 0, false, perr
		}
		if last := p.last(); last > 0 {
			rec.Prev = last
		}
		if a.Kind() == protocol.TypePost && !charged && p.len() == 0 && s.view.isNewFeed(a.Feed) {
			charged = true
			if perr := s.newFeeds.take(ctx, u); perr != nil {
				s.Stats.Rejected.Add(1)
				perr.Op, perr.Feed = a.Op, a.Feed
				return 0, false, perr
			}
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return 0, false, err
		}
		seq, dup, err := s.log.Store(ctx, a.Feed, data, eventlog.AppendOptions{
			ExpectLast: true, LastSeq: rec.Prev, MsgID: key,
		})
		if errors.Is(err, eventlog.ErrConflict) && time.Since(begin) < ConflictBudget {
			s.Stats.Conflicts.Add(1)
			// Another node appended to this feed first: wait until the
			// view has moved past the position we expected (or a short,
			// growing while: the append that beat us may still be
			// committing), then validate again.
			wait := min(5*time.Millisecond<<min(attempt, 6), 250*time.Millisecond)
			wctx, cancel := context.WithTimeout(ctx, wait)
			s.waitFeedPassed(wctx, a.Feed, rec.Prev)
			cancel()
			if ctx.Err() != nil {
				return 0, false, ctx.Err()
			}
			continue
		}
		if err != nil {
			return 0, false, s.storeFailed(a, err)
		}
		if !dup {
			target := a.ID
			if a.Kind() == protocol.TypePost {
				target = ""
			}
			st.add(a.Feed, inflight{seq: seq, key: key, target: target})
		}
		return seq, dup, nil
	}
}

// settle waits until the record at seq of feed is durable and applied.
// When it cannot be made durable, the feed's pipeline is dropped: its
// records may never be applied. held: the caller holds the feed's lock.
func (s *Service) settle(ctx context.Context, a protocol.Action, seq uint64, held bool) error {
	if err := s.log.WaitDurable(ctx, seq); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st := s.stripeFor(a.Feed)
		if !held {
			st.mu.Lock()
			defer st.mu.Unlock()
		}
		st.forget(a.Feed)
		return s.storeFailed(a, err)
	}
	return s.WaitApplied(ctx, seq)
}

// storeFailed logs an append's failure and returns the client's error.
func (s *Service) storeFailed(a protocol.Action, err error) error {
	e := protocol.Errorf(protocol.CodeInternal, "could not store the action; send it again")
	e.Temporary, e.Op, e.Feed = true, a.Op, a.Feed
	s.lg.Error("append failed", "feed", a.Feed, "op", a.Op, "err", err)
	return e
}

// ackOf builds the acknowledgement of the record at seq.
func (s *Service) ackOf(ctx context.Context, a protocol.Action, seq uint64, dup bool) protocol.Ack {
	ack := protocol.Ack{Op: a.Op, Feed: a.Feed, Pos: seq, Duplicate: dup}
	if ev, ok := s.Event(ctx, seq); ok {
		ack.ID, ack.Event = ev.ID, &ev
	}
	return ack
}
