package feed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"livefeed/server/eventlog"
)

// Compaction: a snapshot of the view stored, the log trimmed behind it.
//
// On a log shared by several nodes (an eventlog.Leaser) compaction is one
// decision for the whole cluster: only the node holding the compaction
// lease compacts, so --retain may be set on any number of nodes. The
// others only learn how far the log was trimmed. A lease that its holder
// stops renewing (it died, or stopped compacting) lapses after
// eventlog.LeaseTTL and the next node past the threshold takes it.
const (
	// compactLease is the lease's name.
	compactLease = "compact"
	// CompactTimeout bounds one compaction (snapshot and trim), well
	// within eventlog.LeaseTTL so that a lease cannot lapse under a
	// compaction in progress that started in time.
	CompactTimeout = 30 * time.Second
	// CompactLeaseRetry is how long a node that found another holding the
	// lease waits before it asks again, and CompactErrorRetry how long
	// one waits whose request failed (a bucket still electing its leader).
	CompactLeaseRetry = 10 * time.Second
	CompactErrorRetry = time.Second
)

// leaseHolder names this service in the lease: the node's name, and a
// random part so that a restarted node does not take its previous run's
// lease for its own.
func leaseHolder(node string) string {
	var b [6]byte
	rand.Read(b[:])
	return node + "/" + hex.EncodeToString(b[:])
}

// maybeCompact stores a snapshot and trims the log when it holds more than
// RetainEvents records (plus a quarter, so compaction is not constant).
func (s *Service) maybeCompact(applied uint64) {
	n := s.cfg.RetainEvents
	if n == 0 || applied+1-s.first.Load() <= n+max(n/4, 1) || time.Now().UnixNano() < s.leaseNext.Load() ||
		!s.compacting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.compacting.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), CompactTimeout)
		defer cancel()
		if !s.holdLease(ctx) {
			return
		}
		err := s.Compact(ctx)
		if errors.Is(err, eventlog.ErrStaleSnapshot) {
			// Another node compacted further while this one lagged.
			s.refreshFirst(ctx)
			return
		}
		if err != nil {
			s.lg.Error("compaction failed", "err", err)
		}
	}()
}

// holdLease reports whether this node may compact now: always on a log of
// one node, else when it holds (takes or renews) the compaction lease.
func (s *Service) holdLease(ctx context.Context) bool {
	l, ok := s.log.(eventlog.Leaser)
	if !ok {
		return true
	}
	held, err := l.HoldLease(ctx, compactLease, s.holder)
	if err != nil {
		s.lg.Warn("compaction lease", "err", err)
		s.leaseNext.Store(time.Now().Add(CompactErrorRetry).UnixNano())
		return false
	}
	if held != s.holding.Swap(held) {
		s.lg.Info("compaction lease", "held", held, "holder", s.holder)
	}
	if !held {
		s.leaseNext.Store(time.Now().Add(CompactLeaseRetry).UnixNano())
		s.refreshFirst(ctx)
	}
	return held
}

// refreshFirst learns how far the log was trimmed (by another node).
func (s *Service) refreshFirst(ctx context.Context) {
	if first, _, err := s.log.Bounds(ctx); err == nil {
		s.first.Store(first)
	}
}

// Compact stores a snapshot of the view and removes the records older than
// the newest RetainEvents. It returns eventlog.ErrStaleSnapshot, trimming
// nothing, when a newer snapshot is stored already.
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
