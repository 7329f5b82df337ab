package feed

import (
	"cmp"
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
	_, last, err := s.bounds(ctx)
	if err != nil {
		return fmt.Errorf("feed: log bounds: %w", err)
	}
	if s.view.Applied() >= last {
		s.ready.Store(true)
	}
	for {
		err = s.log.Follow(ctx, s.view.Applied()+1, func(r eventlog.Record) error {
			if r.Seq > s.view.Applied()+1 {
				if behind, err := s.behindTrim(ctx); err != nil || behind {
					return cmp.Or(err, errBehindTrim)
				}
			}
			s.apply(r)
			if r.Seq >= last {
				s.ready.Store(true)
			}
			return nil
		})
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errBehindTrim) {
			return fmt.Errorf("feed: follow log: %w", err)
		}
		if err := s.restoreNewer(ctx); err != nil {
			return err
		}
	}
}

// errBehindTrim stops Follow when the next record this service needs was
// trimmed: another node compacted the log past this one's view (it opened
// before the trim, or lagged behind it). Run then restores the newest
// snapshot and follows on from it.
var errBehindTrim = errors.New("feed: the log was trimmed past the view")

// behindTrim reports whether the log's first record is past the next one
// the view needs. A gap in the sequence alone says nothing: records of a
// removed feed leave one too.
func (s *Service) behindTrim(ctx context.Context) (bool, error) {
	first, _, err := s.bounds(ctx)
	if err != nil {
		return false, fmt.Errorf("feed: log bounds: %w", err)
	}
	s.first.Store(first)
	return first > s.view.Applied()+1, nil
}

// restoreNewer replaces the view with the newest snapshot, which must
// reach the log's first record. Subscribers of a feed that jumped see the
// next event's prev past their position and resubscribe.
func (s *Service) restoreNewer(ctx context.Context) error {
	var (
		seq  uint64
		data []byte
	)
	if err := s.retry(ctx, "loading the snapshot", func() (err error) {
		seq, data, err = s.log.LoadSnapshot(ctx)
		return err
	}); err != nil {
		return fmt.Errorf("feed: load snapshot: %w", err)
	}
	if first := s.first.Load(); seq+1 < first {
		return fmt.Errorf("feed: the log starts at %d but the snapshot ends at %d: records are missing", first, seq)
	}
	s.lg.Warn("the log was trimmed past the view; restoring the snapshot", "view", s.view.Applied(), "snapshot_seq", seq)
	if err := s.view.Restore(data); err != nil {
		return fmt.Errorf("feed: restore snapshot at %d: %w", seq, err)
	}
	return nil
}

// logRetry bounds the pause between two attempts of a read of the log
// that failed (a cluster electing a leader).
const logRetry = time.Second

// bounds returns the log's bounds, asking again while the log cannot
// answer until ctx is done or the log is closed.
func (s *Service) bounds(ctx context.Context) (first, last uint64, err error) {
	err = s.retry(ctx, "reading the log's bounds", func() (err error) {
		first, last, err = s.log.Bounds(ctx)
		return err
	})
	return first, last, err
}

// retry calls read until it succeeds, fails for good (the log is closed,
// or has no such thing: eventlog.ErrNotFound) or ctx is done, logging
// each failure.
func (s *Service) retry(ctx context.Context, what string, read func() error) error {
	for pause := 50 * time.Millisecond; ; pause = min(2*pause, logRetry) {
		err := read()
		if err == nil || ctx.Err() != nil || errors.Is(err, eventlog.ErrClosed) || errors.Is(err, eventlog.ErrNotFound) {
			return err
		}
		s.lg.Warn(what+"; retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
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

// waitFeedPassed waits until the view's last position of feed is past
// last (a position this node stored and maybe not applied yet, or the
// view's own), or ctx is done.
func (s *Service) waitFeedPassed(ctx context.Context, feed string, last uint64) {
	_ = s.waitUntil(ctx, func() bool { return s.view.FeedLast(feed) > last })
}
