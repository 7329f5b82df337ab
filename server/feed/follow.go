package feed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// Following the log: every record applied to the view, remembered for
// catch-ups, handed to the fan-out, and the waits on it.

// Run follows the log until ctx is done, applying every record to the view
// and publishing it.
func (s *Service) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.stopped.Store(&err)
		}
	}()
	last, err := s.lastSeq(ctx)
	if err != nil {
		return fmt.Errorf("feed: log bounds: %w", err)
	}
	if s.view.Applied() >= last {
		s.ready.Store(true)
	}
	err = s.log.Follow(ctx, s.view.Applied()+1, func(r eventlog.Record) error {
		s.apply(r)
		if r.Seq >= last {
			s.ready.Store(true)
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("feed: follow log: %w", err)
}

// boundsRetry bounds the pause between two attempts of lastSeq.
const boundsRetry = time.Second

// lastSeq returns the log's last sequence, asking again while the log
// cannot answer (a cluster electing a leader) until ctx is done or the
// log is closed.
func (s *Service) lastSeq(ctx context.Context) (uint64, error) {
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, boundsRetry) {
		_, last, err := s.log.Bounds(ctx)
		if err == nil || ctx.Err() != nil || errors.Is(err, eventlog.ErrClosed) {
			return last, err
		}
		s.lg.Warn("reading the log's bounds; retrying", "err", err)
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (s *Service) apply(r eventlog.Record) {
	if r.Seq <= s.view.Applied() {
		return
	}
	ev, err := EventOf(r)
	if err != nil {
		// A record this version cannot read: skip it rather than stop
		// the feed; it is still in the log.
		s.lg.Error("skipping unreadable log record", "seq", r.Seq, "err", err)
		ev = protocol.Event{Feed: r.Feed, Pos: r.Seq, Prev: s.view.FeedLast(r.Feed), Kind: "unknown"}
	}
	if last := s.view.FeedLast(r.Feed); ev.Prev != last {
		s.lg.Warn("record's prev differs from the view", "seq", r.Seq, "prev", ev.Prev, "view", last)
	}
	// Into the ring before the view: a catch-up that sees the feed at this
	// position must find its event in memory too (else, between the two,
	// it found no event after a position the feed had passed, and sent
	// history_gone). A catch-up that finds it in the ring first sends it
	// and drops the live copy, which is at or below its position.
	msg := protocol.MustEncode(ev)
	s.recentMu.Lock()
	s.recent[ev.Pos%RecentEvents] = recentEvent{ev, msg}
	s.recentLast = ev.Pos
	s.recentMu.Unlock()
	s.view.apply(ev, r.Time)
	// Wake the actions waiting for this record (their acks, and the next
	// append of the feed) before handing it to the fan-out: they need not
	// wait for it. Publish itself never waits for subscribers.
	s.appliedMu.Lock()
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.appliedMu.Unlock()
	if s.pub != nil {
		s.pub.Publish(ev.Feed, ev.Pos, msg)
	}
	if s.cfg.ObserveFanout != nil && !r.Time.IsZero() {
		s.cfg.ObserveFanout(time.Since(r.Time))
	}
	s.maybeCompact(ev.Pos)
}

// waitUntil waits until done holds, checking after each record applied,
// or until ctx is done.
func (s *Service) waitUntil(ctx context.Context, done func() bool) error {
	for {
		s.appliedMu.Lock()
		ch := s.appliedCh
		s.appliedMu.Unlock()
		if done() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitApplied waits until the view has applied seq.
func (s *Service) WaitApplied(ctx context.Context, seq uint64) error {
	return s.waitUntil(ctx, func() bool { return s.view.Applied() >= seq })
}

// waitFeedMoved waits until the feed's last position differs from last,
// or ctx is done.
func (s *Service) waitFeedMoved(ctx context.Context, feed string, last uint64) {
	_ = s.waitUntil(ctx, func() bool { return s.view.FeedLast(feed) != last })
}
