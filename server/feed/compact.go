package feed

import (
	"context"
	"fmt"
	"time"
)

// Compaction: a snapshot of the view stored, the log trimmed behind it.

// maybeCompact stores a snapshot and trims the log when it holds more than
// RetainEvents records (plus a quarter, so compaction is not constant).
func (s *Service) maybeCompact(applied uint64) {
	n := s.cfg.RetainEvents
	if n == 0 || applied+1-s.first.Load() <= n+max(n/4, 1) || !s.compacting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.compacting.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Compact(ctx); err != nil {
			s.lg.Error("compaction failed", "err", err)
		}
	}()
}

// Compact stores a snapshot of the view and removes the records older than
// the newest RetainEvents.
func (s *Service) Compact(ctx context.Context) error {
	seq, data, err := s.view.Marshal()
	if err != nil {
		return fmt.Errorf("feed: snapshot: %w", err)
	}
	if err := s.log.SaveSnapshot(ctx, seq, data); err != nil {
		return fmt.Errorf("feed: save snapshot: %w", err)
	}
	if seq+1 <= s.cfg.RetainEvents {
		return nil
	}
	before := seq + 1 - s.cfg.RetainEvents
	if err := s.log.Trim(ctx, before); err != nil {
		return fmt.Errorf("feed: trim log: %w", err)
	}
	s.first.Store(before)
	s.lg.Info("compacted log", "snapshot_seq", seq, "first", before, "bytes", len(data))
	return nil
}
