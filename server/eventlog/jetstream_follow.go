package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Following the log with a consumer of our own making, watched.
//
// nats.go's ordered consumer recreates itself after a lost connection or
// missed heartbeats, but each attempt waits up to a fixed 10 s for the
// server's answer and then backs off from 1 s: a node whose NATS server
// died stalled about 11 s in about 1 run in 3 (measured, server/cluster).
// Follow does the same work with bounds of its own: an ephemeral pull
// consumer (no acks, in memory, one replica) from the next sequence it
// needs; a watchdog that recreates it when it misses two heartbeats, skips
// a delivery, or stays silent while the stream has records it has not
// delivered; and a creation that gives up after FollowCreateTimeout and
// tries again at once. Delivery resumes within FollowResumeBound of the
// log being able to deliver again.
const (
	// FollowHeartbeat is the consumer's idle heartbeat: two missed (1 s)
	// mean it is gone (its server died, or its connection moved).
	FollowHeartbeat = 500 * time.Millisecond
	// FollowCheck is how long the follower waits for a record before it
	// asks the stream whether it is missing some.
	FollowCheck = time.Second
	// FollowCreateTimeout bounds one attempt at creating the consumer.
	FollowCreateTimeout = time.Second
	// FollowRetry is the pause after a failed attempt.
	FollowRetry = 100 * time.Millisecond
	// FollowResumeBound is what the above add up to: from the moment the
	// log can deliver again (its stream has a leader that this node's
	// connection reaches), the follower delivers within about 2 heartbeats
	// (or FollowCheck) plus one creation attempt, plus FollowRetry and a
	// second attempt when the first went to a server that was going away.
	FollowResumeBound = 2*FollowHeartbeat + 2*FollowCreateTimeout + FollowRetry

	// followInactive removes a consumer the follower left behind (its
	// deletion lost with its connection) once it has no pull for this long.
	followInactive = time.Minute
)

// followerSerial numbers the consumers of this process.
var followerSerial atomic.Uint64

// errFollowReset asks Follow to recreate its consumer.
var errFollowReset = errors.New("eventlog: follow: consumer reset")

// Follow implements Log. It runs until ctx is done, fn fails or the log is
// closed, recreating its consumer as often as needed; the log's transient
// failures (a NATS server down, a leader being elected) never end it.
func (j *JetStream) Follow(ctx context.Context, from uint64, fn func(Record) error) error {
	if j.isClosed() {
		return ErrClosed
	}
	wctx, cancel := j.watch(ctx)
	defer cancel()
	// A start sequence below the stream's first sequence (trimmed records)
	// is moved up to it by the server; one above the last sequence waits.
	next := max(from, 1)
	prefix := "livefeed_follow_" + newEpochID() + "_"
	for {
		err := j.followOnce(wctx, prefix+strconv.FormatUint(followerSerial.Add(1), 10), &next, fn)
		if err := j.ctxErr(ctx); err != nil {
			return err
		}
		if !errors.Is(err, errFollowReset) {
			return err
		}
		select {
		case <-wctx.Done():
		case <-time.After(FollowRetry):
		}
	}
}

// followOnce creates a consumer named name delivering from *next and hands
// its records to fn, advancing *next, until it must be recreated
// (errFollowReset) or fn fails.
func (j *JetStream) followOnce(ctx context.Context, name string, next *uint64, fn func(Record) error) error {
	cctx, ccancel := context.WithTimeout(ctx, FollowCreateTimeout)
	cons, err := j.stream.CreateOrUpdateConsumer(cctx, jetstream.ConsumerConfig{
		Name:              name,
		FilterSubject:     j.prefix + ">",
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       *next,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		Replicas:          1,
		InactiveThreshold: followInactive,
	})
	ccancel()
	if err != nil {
		return fmt.Errorf("%w: create: %v", errFollowReset, err)
	}
	defer func() {
		// In the background: the server it is on may be gone.
		go j.deleteConsumer(context.Background(), cons)
	}()
	it, err := cons.Messages(jetstream.PullHeartbeat(FollowHeartbeat), jetstream.WithMessagesErrOnMissingHeartbeat(true))
	if err != nil {
		return fmt.Errorf("%w: %v", errFollowReset, err)
	}
	defer it.Stop()
	var delivered uint64 // the consumer's sequence of the last delivery
	silent := false      // the last FollowCheck went by without a record
	for {
		nctx, ncancel := context.WithTimeout(ctx, FollowCheck)
		m, err := it.Next(jetstream.NextContext(nctx))
		ncancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("%w: %v", errFollowReset, err)
			}
			// Quiet for FollowCheck: fine, unless the stream holds records
			// the consumer has not delivered for two checks in a row.
			lagging, lerr := j.lagging(ctx, *next)
			if lerr != nil || !lagging {
				silent = false
				continue
			}
			if silent {
				return fmt.Errorf("%w: silent while the stream has record %d", errFollowReset, *next)
			}
			silent = true
			continue
		}
		silent = false
		r, meta, err := j.record(m)
		if err != nil {
			return err
		}
		if meta.Sequence.Consumer != delivered+1 {
			// A delivery lost on the way: start again after the last one.
			return fmt.Errorf("%w: delivery %d after %d", errFollowReset, meta.Sequence.Consumer, delivered)
		}
		delivered = meta.Sequence.Consumer
		if r.Seq < *next {
			continue // already handed out (a consumer recreated)
		}
		// The consumer delivers records as soon as they are stored.
		if err := j.durable(ctx, r.Seq); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("eventlog: follow: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
		*next = r.Seq + 1
	}
}

// lagging reports whether the stream's last sequence is at or past next.
func (j *JetStream) lagging(ctx context.Context, next uint64) (bool, error) {
	ictx, cancel := context.WithTimeout(ctx, FollowCreateTimeout)
	defer cancel()
	info, err := j.stream.Info(ictx)
	if err != nil {
		return false, err
	}
	return info.State.LastSeq >= next && info.State.Msgs > 0, nil
}
