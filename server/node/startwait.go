package node

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Waiting for the event log at start: nodes started together with their
// NATS cluster, or while a NATS server is down, find a cluster that cannot
// answer yet (no JetStream meta leader, a stream leader being elected, a
// create of the stream or of the accounts bucket by another node in
// flight). That is a state to wait out, not a reason to exit: the node
// retries, logging its progress, and the HTTP server (serve) answers 503
// meanwhile. Only the caller's context (--start-timeout) ends the wait.
const (
	// OpenAttemptMin bounds the first OpenShortAttempts attempts at
	// opening the log (creating or binding the stream and the snapshot
	// bucket, loading the snapshot); each later failed attempt doubles the
	// next one's bound, up to OpenAttemptMax. A cluster without a meta
	// leader, or a stream electing its leader, does not answer at all, so
	// short bounds retry soon; the longer ones leave time for a large
	// snapshot on a slow cluster.
	OpenAttemptMin    = 2 * time.Second
	OpenShortAttempts = 5
	OpenAttemptMax    = 60 * time.Second
	// OpenRetryMin and OpenRetryMax bound the pause between attempts,
	// doubled after each failure.
	OpenRetryMin = 250 * time.Millisecond
	OpenRetryMax = 5 * time.Second
)

// waitForLog calls open, each time with a context bounded as
// OpenAttemptMin says, until it succeeds or ctx is done, and logs every
// failed attempt.
func waitForLog(ctx context.Context, lg *slog.Logger, open func(context.Context) error) error {
	start := time.Now()
	pause, bound := OpenRetryMin, OpenAttemptMin
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, bound)
		err := open(actx)
		cancel()
		if err == nil {
			if attempt > 1 {
				lg.Info("event log opened", "attempt", attempt, "elapsed", time.Since(start).Round(time.Millisecond).String())
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("node: the event log could not be opened in %s (%d attempts): %w", time.Since(start).Round(time.Millisecond), attempt, err)
		}
		lg.Warn("waiting for the event log", "attempt", attempt, "elapsed", time.Since(start).Round(time.Millisecond).String(), "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: the event log could not be opened in %s (%d attempts): %w", time.Since(start).Round(time.Millisecond), attempt, err)
		case <-time.After(pause):
		}
		pause = min(2*pause, OpenRetryMax)
		if attempt >= OpenShortAttempts {
			bound = min(2*bound, OpenAttemptMax)
		}
	}
}
