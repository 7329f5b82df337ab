package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStreamConfig configures a JetStream log. Zero fields take defaults.
type JetStreamConfig struct {
	// Stream is the name of the JetStream stream holding the records
	// (default "LIVEFEED"). Snapshots go to the object store bucket
	// Stream+"_SNAPSHOTS".
	Stream string
	// SubjectPrefix is the subject prefix of the records (default
	// "livefeed.feed"): feed F is stored under subject SubjectPrefix+".F".
	SubjectPrefix string
	// Replicas is the number of replicas of the stream and of the
	// snapshot bucket (default 1).
	Replicas int
	// DuplicateWindow is how long AppendOptions.MsgID values are
	// remembered (default 10m).
	DuplicateWindow time.Duration
	// Storage is the storage type of the stream and of the snapshot bucket
	// (default jetstream.FileStorage).
	Storage jetstream.StorageType
	// GroupCommit is the store directory (EmbeddedConfig.Dir) of the
	// embedded server the log is on, when that server runs with
	// SyncGroup: the log then fsyncs the stream's files itself, once for
	// all the appends acknowledged before each fsync, Append returns only
	// once its record is on disk, and Get, ReadFeed, Follow and Bounds
	// hand out nothing beyond what is on disk (see groupcommit.go). Only
	// for an R1 file stream of an embedded server: an external cluster
	// keeps its own sync and replication settings.
	GroupCommit string
}

// Defaults of JetStreamConfig.
const (
	DefaultStream          = "LIVEFEED"
	DefaultSubjectPrefix   = "livefeed.feed"
	DefaultDuplicateWindow = 10 * time.Minute
)

const (
	snapshotBucketSuffix = "_SNAPSHOTS"
	snapshotObject       = "latest"
	snapshotSeqKey       = "seq"

	// readIdle is how long ReadFeed waits for the next message before it
	// asks the server whether any is left (records can be trimmed while
	// being read).
	readIdle = 2 * time.Second
	// cleanupTimeout bounds the deletion of a finished consumer.
	cleanupTimeout = 2 * time.Second
	// orderedHeartbeat is the idle heartbeat of the ordered consumers
	// (nats.go's minimum; its default for ordered consumers is 5 s). On a
	// replicated stream about 1 in 40 new ordered consumers gets nothing
	// for its first pull and only recovers when it notices two missed
	// heartbeats and recreates itself: 10 s (sometimes 20 s) with the
	// default, about 1 s with this (measured on a 3-server cluster,
	// server/cluster). It delays catch-ups (ReadFeed) and node starts
	// (Follow).
	orderedHeartbeat = 500 * time.Millisecond
)

// JetStream is a Log stored in a NATS JetStream stream, one subject per feed.
// Record sequences are the stream sequences. It is safe for concurrent use.
type JetStream struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	snaps  jetstream.ObjectStore
	name   string
	prefix string // subject prefix including the trailing dot

	// gc and snapsGC are the group commit syncers of the stream and of the
	// snapshot bucket's stream (nil unless JetStreamConfig.GroupCommit).
	gc, snapsGC *groupCommit

	// closed is cancelled by Close.
	closed context.Context
	close  context.CancelFunc

	// reconnected is cancelled (and replaced) each time the connection
	// reconnects: appends in flight on the old connection may have been
	// lost and are sent again (see Append).
	reconnMu    sync.Mutex
	reconnected context.Context
	reconnect   context.CancelFunc
}

var _ Log = (*JetStream)(nil)

// OpenJetStream creates or updates the stream and the snapshot bucket
// described by cfg on nc and returns a Log using them. nc stays owned by the
// caller: Close does not close it.
func OpenJetStream(ctx context.Context, nc *nats.Conn, cfg JetStreamConfig) (*JetStream, error) {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = DefaultSubjectPrefix
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventlog: jetstream: %w", err)
	}
	// Never lower the replication of an existing log: one node started
	// with a smaller --replicas must not weaken it for everyone.
	if st, err := js.Stream(ctx, cfg.Stream); err == nil && st.CachedInfo().Config.Replicas > cfg.Replicas {
		cfg.Replicas = st.CachedInfo().Config.Replicas
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "Livefeed event log",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		// No MaxMsgs, MaxBytes or MaxAge: records are only removed by Trim.
		MaxMsgs:    -1,
		MaxBytes:   -1,
		Storage:    cfg.Storage,
		Replicas:   cfg.Replicas,
		Duplicates: cfg.DuplicateWindow,
		// Records are never deleted one by one, only purged by Trim.
		DenyDelete: true,
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: create stream %s: %w", cfg.Stream, err)
	}
	bucket := cfg.Stream + snapshotBucketSuffix
	snaps, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      bucket,
		Description: "Livefeed snapshots of " + cfg.Stream,
		Storage:     cfg.Storage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: create object store %s: %w", bucket, err)
	}
	closed, cancel := context.WithCancel(context.Background())
	j := &JetStream{
		js:     js,
		stream: stream,
		snaps:  snaps,
		name:   cfg.Stream,
		prefix: cfg.SubjectPrefix + ".",
		closed: closed,
		close:  cancel,
	}
	if cfg.GroupCommit != "" {
		if err := j.startGroupCommit(ctx, cfg, bucket); err != nil {
			cancel()
			return nil, err
		}
	}
	j.reconnected, j.reconnect = context.WithCancel(context.Background())
	status := nc.StatusChanged(nats.CONNECTED)
	go func() {
		defer nc.RemoveStatusListener(status)
		for {
			select {
			case <-closed.Done():
				return
			case _, ok := <-status:
				if !ok {
					return
				}
				j.reconnMu.Lock()
				j.reconnect()
				j.reconnected, j.reconnect = context.WithCancel(context.Background())
				j.reconnMu.Unlock()
			}
		}
	}()
	return j, nil
}

// startGroupCommit starts the syncers of the stream and of the snapshot
// bucket's stream ("OBJ_"+bucket, see nats.go's object store), whose files
// are in <store>/jetstream/<account>/streams/<name> (nats-server's layout:
// JetStreamStoreDir, the global account, streamsDir).
func (j *JetStream) startGroupCommit(ctx context.Context, cfg JetStreamConfig, bucket string) error {
	if cfg.Storage != jetstream.FileStorage || cfg.Replicas != 1 {
		return errors.New("eventlog: group commit needs an R1 file stream (the embedded server)")
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

// lastSeqOf returns a function that asks the server for the stream's last
// sequence.
func lastSeqOf(st jetstream.Stream) func(context.Context) (uint64, error) {
	return func(ctx context.Context) (uint64, error) {
		info, err := st.Info(ctx)
		if err != nil {
			return 0, err
		}
		return info.State.LastSeq, nil
	}
}

// durable returns once the record at seq is on disk (at once without group
// commit, where the server's own sync setting applies).
func (j *JetStream) durable(ctx context.Context, seq uint64) error {
	if j.gc == nil {
		return nil
	}
	return j.gc.wait(ctx, seq)
}

var _ HealthReporter = (*JetStream)(nil)

// Health reports a group commit that failed (for good) or keeps retrying
// (out of descriptors, say); nil without group commit.
func (j *JetStream) Health() error {
	for _, g := range []*groupCommit{j.gc, j.snapsGC} {
		if g == nil {
			continue
		}
		if err := g.health(); err != nil {
			return err
		}
	}
	return nil
}

func (j *JetStream) isClosed() bool { return j.closed.Err() != nil }

// watch returns a context derived from ctx that is also cancelled by Close.
func (j *JetStream) watch(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(j.closed, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}

// ctxErr returns the error to report after wctx (from watch(ctx)) ended:
// ctx's own error, or ErrClosed.
func (j *JetStream) ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.isClosed() {
		return ErrClosed
	}
	return nil
}

// Append implements Log.
func (j *JetStream) Append(ctx context.Context, feed string, data []byte, opts AppendOptions) (uint64, bool, error) {
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
	// is stored but maybe not on disk yet.
	if err := j.durable(ctx, ack.Sequence); err != nil {
		return 0, false, fmt.Errorf("eventlog: append to feed %s: seq %d not durable: %w", feed, ack.Sequence, err)
	}
	return ack.Sequence, ack.Duplicate, nil
}

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

// Get implements Log.
func (j *JetStream) Get(ctx context.Context, seq uint64) (Record, error) {
	if j.isClosed() {
		return Record{}, ErrClosed
	}
	if seq == 0 {
		return Record{}, ErrNotFound
	}
	m, err := j.stream.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return Record{}, ErrNotFound
		}
		return Record{}, fmt.Errorf("eventlog: get %d: %w", seq, err)
	}
	if err := j.durable(ctx, m.Sequence); err != nil {
		return Record{}, fmt.Errorf("eventlog: get %d: %w", seq, err)
	}
	return Record{
		Seq:  m.Sequence,
		Feed: strings.TrimPrefix(m.Subject, j.prefix),
		Time: m.Time,
		Data: m.Data,
	}, nil
}

// record converts a message delivered by a consumer.
func (j *JetStream) record(m jetstream.Msg) (Record, *jetstream.MsgMetadata, error) {
	meta, err := m.Metadata()
	if err != nil {
		return Record{}, nil, fmt.Errorf("eventlog: message metadata: %w", err)
	}
	return Record{
		Seq:  meta.Sequence.Stream,
		Feed: strings.TrimPrefix(m.Subject(), j.prefix),
		Time: meta.Timestamp,
		Data: m.Data(),
	}, meta, nil
}

// deleteConsumer removes a finished ordered consumer instead of leaving it
// to the server's inactivity threshold.
func (j *JetStream) deleteConsumer(ctx context.Context, c jetstream.Consumer) {
	info := c.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = j.stream.DeleteConsumer(ctx, info.Name)
}

// ReadFeed implements Log. It reads with an ordered consumer filtered on the
// feed's subject, so records of other feeds are skipped by the server.
func (j *JetStream) ReadFeed(ctx context.Context, feed string, from, to uint64, fn func(Record) error) error {
	if err := checkFeed(feed); err != nil {
		return err
	}
	if j.isClosed() {
		return ErrClosed
	}
	from = max(from, 1)
	if to == 0 {
		info, err := j.stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("eventlog: read feed %s: stream info: %w", feed, err)
		}
		to = info.State.LastSeq
	}
	if from > to {
		return nil
	}

	wctx, cancel := j.watch(ctx)
	defer cancel()
	cons, err := j.stream.OrderedConsumer(wctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{j.prefix + feed},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		if err := j.ctxErr(ctx); err != nil {
			return err
		}
		return fmt.Errorf("eventlog: read feed %s: create consumer: %w", feed, err)
	}
	defer j.deleteConsumer(ctx, cons)
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil
	}
	// Buffer no more than the range can hold.
	batch := jetstream.PullMaxMessages(min(to-from+1, 256))
	it, err := cons.Messages(batch, jetstream.PullHeartbeat(orderedHeartbeat))
	if err != nil {
		return fmt.Errorf("eventlog: read feed %s: %w", feed, err)
	}
	defer it.Stop()
	for {
		nctx, ncancel := context.WithTimeout(wctx, readIdle)
		m, err := it.Next(jetstream.NextContext(nctx))
		ncancel()
		if err != nil {
			if err := j.ctxErr(ctx); err != nil {
				return err
			}
			if errors.Is(err, context.DeadlineExceeded) {
				// Idle: the remaining records may have been trimmed.
				info, ierr := cons.Info(wctx)
				if ierr != nil {
					return fmt.Errorf("eventlog: read feed %s: consumer info: %w", feed, ierr)
				}
				if info.NumPending == 0 {
					return nil
				}
				continue
			}
			return fmt.Errorf("eventlog: read feed %s: %w", feed, err)
		}
		r, meta, err := j.record(m)
		if err != nil {
			return err
		}
		if r.Seq > to {
			return nil
		}
		if err := j.durable(wctx, r.Seq); err != nil {
			if err := j.ctxErr(ctx); err != nil {
				return err
			}
			return fmt.Errorf("eventlog: read feed %s: %w", feed, err)
		}
		if err := fn(r); err != nil {
			return err
		}
		if r.Seq >= to || meta.NumPending == 0 {
			return nil
		}
	}
}

// Follow implements Log. It reads with an ordered consumer on every feed's
// subject, which recreates itself (from the last delivered sequence) after
// connection losses or missed heartbeats, so it can run indefinitely. Close
// makes it return ErrClosed.
func (j *JetStream) Follow(ctx context.Context, from uint64, fn func(Record) error) error {
	if j.isClosed() {
		return ErrClosed
	}
	wctx, cancel := j.watch(ctx)
	defer cancel()
	// A start sequence below the stream's first sequence (trimmed records)
	// is moved up to it by the server; one above the last sequence waits.
	cons, err := j.stream.OrderedConsumer(wctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{j.prefix + ">"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    max(from, 1),
	})
	if err != nil {
		if err := j.ctxErr(ctx); err != nil {
			return err
		}
		return fmt.Errorf("eventlog: follow: create consumer: %w", err)
	}
	defer j.deleteConsumer(ctx, cons)
	it, err := cons.Messages(jetstream.PullHeartbeat(orderedHeartbeat))
	if err != nil {
		return fmt.Errorf("eventlog: follow: %w", err)
	}
	defer it.Stop()
	// Stopping the iterator also interrupts a consumer reset in progress
	// (which retries with backoff and does not watch wctx).
	defer context.AfterFunc(wctx, it.Stop)()
	for {
		m, err := it.Next(jetstream.NextContext(wctx))
		if err != nil {
			if err := j.ctxErr(ctx); err != nil {
				return err
			}
			return fmt.Errorf("eventlog: follow: %w", err)
		}
		r, _, err := j.record(m)
		if err != nil {
			return err
		}
		// The consumer delivers records as soon as they are stored.
		if err := j.durable(wctx, r.Seq); err != nil {
			if err := j.ctxErr(ctx); err != nil {
				return err
			}
			return fmt.Errorf("eventlog: follow: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// Bounds implements Log.
func (j *JetStream) Bounds(ctx context.Context) (uint64, uint64, error) {
	if j.isClosed() {
		return 0, 0, ErrClosed
	}
	info, err := j.stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("eventlog: bounds: %w", err)
	}
	st := info.State
	if err := j.durable(ctx, st.LastSeq); err != nil {
		return 0, 0, fmt.Errorf("eventlog: bounds: %w", err)
	}
	if st.Msgs == 0 {
		return st.LastSeq + 1, st.LastSeq, nil
	}
	return st.FirstSeq, st.LastSeq, nil
}

// Trim implements Log.
func (j *JetStream) Trim(ctx context.Context, before uint64) error {
	if j.isClosed() {
		return ErrClosed
	}
	// A purge sequence of 0 would purge everything.
	if before <= 1 {
		return nil
	}
	first, last, err := j.Bounds(ctx)
	if err != nil {
		return err
	}
	// Purging beyond the last sequence would make the server move the
	// last sequence (and so the next record's) up to before-1.
	before = min(before, last+1)
	if before <= first {
		return nil
	}
	if err := j.stream.Purge(ctx, jetstream.WithPurgeSequence(before)); err != nil {
		return fmt.Errorf("eventlog: trim before %d: %w", before, err)
	}
	// Without SyncAlways nats-server may have rewritten the first block
	// kept through a temporary file and a rename, without fsync
	// (filestore.go compactLocked, writeAtomically): fsync it and the
	// directory now.
	if j.gc != nil {
		if err := j.gc.syncAll(ctx); err != nil {
			return fmt.Errorf("eventlog: trim before %d: %w", before, err)
		}
	}
	return nil
}

// SaveSnapshot implements Log. The snapshot is an object of the snapshot
// bucket (chunked, so it may be larger than the server's max payload) with
// seq in its metadata.
func (j *JetStream) SaveSnapshot(ctx context.Context, seq uint64, data []byte) error {
	if j.isClosed() {
		return ErrClosed
	}
	_, err := j.snaps.Put(ctx, jetstream.ObjectMeta{
		Name:     snapshotObject,
		Metadata: map[string]string{snapshotSeqKey: strconv.FormatUint(seq, 10)},
	}, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("eventlog: save snapshot at %d: %w", seq, err)
	}
	// A snapshot must be on disk before Trim removes the records it
	// replaces. Not covered: between the Put (which purges the previous
	// snapshot's chunks) and this fsync, a machine crash could keep the
	// purge (a removed block file) but lose the new chunks; the records
	// trimmed after the previous snapshot would then be gone with it.
	// SyncAlways does not have that window; compaction (--retain) is off
	// by default.
	if j.snapsGC != nil {
		if err := j.snapsGC.syncAll(ctx); err != nil {
			return fmt.Errorf("eventlog: save snapshot at %d: %w", seq, err)
		}
	}
	return nil
}

// snapshotWait bounds how long LoadSnapshot waits for the snapshot bucket's
// stream to answer (no responders: a cluster still electing its leader).
const snapshotWait = 10 * time.Second

// LoadSnapshot implements Log.
func (j *JetStream) LoadSnapshot(ctx context.Context) (uint64, []byte, error) {
	if j.isClosed() {
		return 0, nil, ErrClosed
	}
	res, err := j.snaps.Get(ctx, snapshotObject)
	// Right after a cluster starts (or the bucket's stream changes leader)
	// nobody may answer yet: wait for it, up to snapshotWait.
	for wait, waited := 25*time.Millisecond, time.Duration(0); errors.Is(err, nats.ErrNoResponders) && waited < snapshotWait; wait = min(2*wait, 500*time.Millisecond) {
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(wait):
		}
		waited += wait
		res, err = j.snaps.Get(ctx, snapshotObject)
	}
	if err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return 0, nil, ErrNotFound
		}
		return 0, nil, fmt.Errorf("eventlog: load snapshot: %w", err)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return 0, nil, fmt.Errorf("eventlog: load snapshot: %w", err)
	}
	seq, err := strconv.ParseUint(info.Metadata[snapshotSeqKey], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("eventlog: load snapshot: bad %q metadata: %w", snapshotSeqKey, err)
	}
	data, err := io.ReadAll(res)
	if err != nil {
		return 0, nil, fmt.Errorf("eventlog: load snapshot: %w", err)
	}
	return seq, data, nil
}

// Close implements Log: later calls fail with ErrClosed and running Follow
// and ReadFeed calls return ErrClosed, and so do appends waiting for group
// commit. The connection is not closed.
func (j *JetStream) Close() error {
	j.close()
	if j.gc != nil {
		j.gc.close()
		j.snapsGC.close()
	}
	return nil
}
