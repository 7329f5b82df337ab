package eventlog

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// Appends: publishing with the expected last sequence, the resends of one
// append, and durability (group commit).

// Append implements Log: Store, then WaitDurable.
func (j *JetStream) Append(ctx context.Context, feed string, data []byte, opts AppendOptions) (uint64, bool, error) {
	seq, dup, err := j.Store(ctx, feed, data, opts)
	if err != nil {
		return 0, false, err
	}
	if err := j.WaitDurable(ctx, seq); err != nil {
		return 0, false, fmt.Errorf("eventlog: append to feed %s: %w", feed, err)
	}
	return seq, dup, nil
}

// WaitDurable implements Log.
func (j *JetStream) WaitDurable(ctx context.Context, seq uint64) error {
	if err := j.durable(ctx, seq); err != nil {
		return fmt.Errorf("eventlog: seq %d not durable: %w", seq, err)
	}
	return nil
}

// Store implements Log: the record is pub-acked (in the page cache of its
// block file with group commit; see groupcommit.go).
func (j *JetStream) Store(ctx context.Context, feed string, data []byte, opts AppendOptions) (uint64, bool, error) {
	if err := checkFeed(feed); err != nil {
		return 0, false, err
	}
	if j.isClosed() {
		return 0, false, ErrClosed
	}
	popts := make([]jetstream.PublishOpt, 0, 3)
	popts = append(popts, jetstream.WithExpectStream(j.name))
	if opts.ExpectLast {
		// The option takes a pointer internally, so LastSeq 0 is sent as
		// "Nats-Expected-Last-Subject-Sequence: 0", which the server
		// accepts when the subject holds no message.
		popts = append(popts, jetstream.WithExpectLastSequencePerSubject(opts.LastSeq))
	}
	if opts.MsgID != "" {
		popts = append(popts, jetstream.WithMsgID(opts.MsgID))
	}
	ack, err := j.publish(ctx, feed, data, popts, opts.MsgID != "")
	for wait := inProcessWait; err != nil && isMsgIDInProcess(err) && wait <= maxInProcessWait; wait *= 2 {
		// A replicated stream is still storing an earlier append with
		// the same MsgID (the same action resent through another node
		// after the first one died): once that is stored, this one is
		// answered as its duplicate.
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(wait):
		}
		ack, err = j.publish(ctx, feed, data, popts, true)
	}
	if err != nil {
		if isWrongLastSequence(err) {
			return 0, false, ErrConflict
		}
		return 0, false, fmt.Errorf("eventlog: append to feed %s: %w", feed, err)
	}
	// With group commit the record (or, for a duplicate, the first one)
	// is stored but maybe not on disk yet: see WaitDurable.
	return ack.Sequence, ack.Duplicate, nil
}

// Resends of one append (see publish): at most maxResends, each after
// waiting appendAttempt for an answer (the last attempt waits for the
// caller's deadline, or nats.go's default of 5 s).
const (
	maxResends    = 3
	appendAttempt = 2 * time.Second
)

// Retries of an append whose MsgID is in process (see Append): waits
// double from inProcessWait up to maxInProcessWait (about 1.3 s in all).
const (
	inProcessWait    = 20 * time.Millisecond
	maxInProcessWait = 640 * time.Millisecond
)

// publish publishes one record. A request or its answer can be lost when a
// NATS server stops: with the connection (it reconnects to another server)
// or in the stream leader's hand-over (seen: appends waited for their 5 s
// timeout). With a MsgID the record is therefore published again when the
// connection reconnects during the wait, at once, or when no answer came
// within appendAttempt, up to maxResends times; the stream's deduplication
// makes that safe, and a duplicate answer to a resend of ours is not
// reported as a duplicate.
func (j *JetStream) publish(ctx context.Context, feed string, data []byte, popts []jetstream.PublishOpt, resend bool) (*jetstream.PubAck, error) {
	for n := 0; ; n++ {
		j.reconnMu.Lock()
		reconnected := j.reconnected
		j.reconnMu.Unlock()
		var actx context.Context
		var cancel context.CancelFunc
		if resend && n < maxResends {
			actx, cancel = context.WithTimeout(ctx, appendAttempt)
		} else {
			actx, cancel = context.WithCancel(ctx)
		}
		stop := context.AfterFunc(reconnected, cancel)
		ack, err := j.js.Publish(actx, j.prefix+feed, data, popts...)
		stop()
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil || !resend || n >= maxResends || ctx.Err() != nil || reconnected.Err() == nil && !timedOut {
			if err == nil && n > 0 {
				ack.Duplicate = false
			}
			return ack, err
		}
	}
}

// isMsgIDInProcess reports whether err is the server's "duplicate message id
// is in process" error (10158, JSStreamDuplicateMessageConflict).
func isMsgIDInProcess(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == 10158
}

// isWrongLastSequence reports whether err is the server's "wrong last
// sequence" error (10071, or 10164 from replicated streams).
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
}

// startGroupCommit starts the syncers of the stream and of the snapshot
// bucket's stream ("OBJ_"+bucket, see nats.go's object store), whose files
// are in <store>/jetstream/<account>/streams/<name> (nats-server's layout:
// JetStreamStoreDir, the global account, streamsDir).
func (j *JetStream) startGroupCommit(ctx context.Context, cfg JetStreamConfig, bucket string) error {
	if cfg.Storage != jetstream.FileStorage || cfg.Replicas != 1 {
		return errors.New("eventlog: group commit needs an R1 file stream (the embedded server)")
	}
	if v, ok := natsServerVersion(); ok && v != auditedNATSServer {
		return fmt.Errorf("eventlog: group commit was checked against nats-server %s's file store, this binary has %s: run with --sync always", auditedNATSServer, v)
	}
	snapStream, err := j.js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		return fmt.Errorf("eventlog: group commit: snapshot stream: %w", err)
	}
	streams := filepath.Join(cfg.GroupCommit, server.JetStreamStoreDir, server.DEFAULT_GLOBAL_ACCOUNT, "streams")
	if j.gc, err = newGroupCommit(ctx, filepath.Join(streams, j.name), lastSeqOf(j.stream)); err != nil {
		return err
	}
	if j.snapsGC, err = newGroupCommit(ctx, filepath.Join(streams, "OBJ_"+bucket), lastSeqOf(snapStream)); err != nil {
		j.gc.close()
		return err
	}
	return nil
}

// durable returns once the record at seq is on disk (at once without group
// commit, where the server's own sync setting applies).
func (j *JetStream) durable(ctx context.Context, seq uint64) error {
	if j.gc == nil {
		return nil
	}
	return j.gc.wait(ctx, seq)
}
