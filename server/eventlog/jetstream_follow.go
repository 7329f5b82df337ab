package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Following the log with a consumer of our own making, watched, and
// reading records one by one while it cannot have one.
//
// nats.go's ordered consumer recreates itself after a lost connection or
// missed heartbeats, but each attempt waits up to a fixed 10 s for the
// server's answer and then backs off from 1 s: a node whose NATS server
// died stalled about 11 s in about 1 run in 3 (measured, server/cluster).
// Follow does the same work with bounds of its own: an ephemeral pull
// consumer (no acks, in memory, one replica) from the next sequence it
// needs, and a watchdog that recreates it when it misses two heartbeats,
// skips a delivery, or stays silent while the stream has records it has
// not delivered. Creating a consumer needs the cluster's JetStream meta
// leader, which a crashed server may have been (the others elect a new
// one after several seconds, while the stream, with a leader of its own,
// takes appends): while no consumer can be had, Follow reads the next
// records with the stream's own get (answered by the stream's leader)
// every FollowPoll, and goes back to a consumer as soon as one is made.
// Delivery resumes within FollowResumeBound of the stream being able to
// answer again.
const (
	// FollowHeartbeat is the consumer's idle heartbeat: two missed (1 s)
	// mean it is gone (its server died, or its connection moved).
	FollowHeartbeat = 500 * time.Millisecond
	// FollowCheck is how long the follower waits for a record before it
	// asks the stream whether it is missing some.
	FollowCheck = time.Second
	// FollowCreateTimeout bounds one attempt at creating the consumer;
	// attempts go on, FollowRetry apart, until one succeeds.
	FollowCreateTimeout = time.Second
	// FollowRetry is the pause after a failed attempt.
	FollowRetry = 100 * time.Millisecond
	// FollowPollAfter is how long the follower waits for a new consumer
	// before it reads records one by one meanwhile.
	FollowPollAfter = 200 * time.Millisecond
	// FollowPoll is the pause between two reads that found no record,
	// and FollowGetTimeout bounds one read.
	FollowPoll       = 100 * time.Millisecond
	FollowGetTimeout = 500 * time.Millisecond
	// FollowResumeBound is what the above add up to: a lost consumer is
	// noticed within two heartbeats, records are read FollowPollAfter
	// later, and a read that went to a server going away is given up
	// after FollowGetTimeout, FollowPoll before the next one (1.8 s).
	FollowResumeBound = 2*FollowHeartbeat + FollowPollAfter + FollowGetTimeout + FollowPoll

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
		cons, err := j.followConsumer(wctx, prefix, &next, fn)
		if err == nil {
			err = j.followOnce(wctx, cons, &next, fn)
		}
		if err := j.ctxErr(ctx); err != nil {
			return err
		}
		if !errors.Is(err, errFollowReset) {
			return err
		}
	}
}

// followConsumer returns a new consumer delivering from *next or later.
// While none can be made it reads the records from *next on itself,
// handing them to fn and advancing *next.
func (j *JetStream) followConsumer(ctx context.Context, prefix string, next *uint64, fn func(Record) error) (jetstream.Consumer, error) {
	made := make(chan jetstream.Consumer)
	start := *next
	go func() {
		for {
			name := prefix + strconv.FormatUint(followerSerial.Add(1), 10)
			cctx, ccancel := context.WithTimeout(ctx, FollowCreateTimeout)
			cons, err := j.stream.CreateOrUpdateConsumer(cctx, jetstream.ConsumerConfig{
				Name:              name,
				FilterSubject:     j.prefix + ">",
				DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
				OptStartSeq:       start, // at most *next when it is taken: Follow skips the rest
				AckPolicy:         jetstream.AckNonePolicy,
				MemoryStorage:     true,
				Replicas:          1,
				InactiveThreshold: followInactive,
			})
			ccancel()
			if err == nil {
				select {
				case made <- cons:
				case <-ctx.Done():
					j.deleteConsumer(context.Background(), cons)
				}
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(FollowRetry):
			}
		}
	}()
	select {
	case cons := <-made:
		return cons, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(FollowPollAfter):
	}
	// No consumer yet: read on while it is being made.
	for {
		select {
		case cons := <-made:
			return cons, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
		gctx, gcancel := context.WithTimeout(ctx, FollowGetTimeout)
		m, err := j.stream.GetMsg(gctx, *next, jetstream.WithGetMsgSubject(j.prefix+">"))
		gcancel()
		if err != nil {
			select {
			case cons := <-made:
				return cons, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(FollowPoll):
			}
			continue
		}
		r := Record{Seq: m.Sequence, Feed: strings.TrimPrefix(m.Subject, j.prefix), Time: m.Time, Data: m.Data}
		if err := j.hand(ctx, r, next, fn); err != nil {
			return nil, err
		}
	}
}

// hand gives fn the record r, once it is durable, and moves *next past it.
func (j *JetStream) hand(ctx context.Context, r Record, next *uint64, fn func(Record) error) error {
	if r.Seq < *next {
		return nil // already handed out (a consumer recreated)
	}
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
	return nil
}

// followOnce hands the records cons delivers to fn, advancing *next, until
// the consumer must be recreated (errFollowReset) or fn fails.
func (j *JetStream) followOnce(ctx context.Context, cons jetstream.Consumer, next *uint64, fn func(Record) error) error {
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
		// The consumer delivers records as soon as they are stored.
		if err := j.hand(ctx, r, next, fn); err != nil {
			return err
		}
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
