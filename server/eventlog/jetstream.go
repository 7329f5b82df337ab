package eventlog

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

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
	// orderedHeartbeat is the idle heartbeat of ReadFeed's ordered
	// consumers (nats.go's minimum; its default for ordered consumers is
	// 5 s). On a
	// replicated stream about 1 in 40 new ordered consumers gets nothing
	// for its first pull and only recovers when it notices two missed
	// heartbeats and recreates itself: 10 s (sometimes 20 s) with the
	// default, about 1 s with this (measured on a 3-server cluster,
	// server/cluster). It delays catch-ups (ReadFeed); Follow has a
	// consumer of its own (jetstream_follow.go).
	orderedHeartbeat = 500 * time.Millisecond
)

// JetStream is a Log stored in a NATS JetStream stream, one subject per feed.
// Record sequences are the stream sequences. It is safe for concurrent use.
type JetStream struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	snaps  jetstream.ObjectStore
	epoch  string // see Epoch
	leases leases
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
	want := jetstream.StreamConfig{
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
		Metadata:   map[string]string{epochKey: newEpochID()},
	}
	stream, err := CreateOrBindStream(ctx, js, want, func(have *jetstream.StreamConfig) bool {
		return updateStreamConfig(have, want)
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	bucket := cfg.Stream + snapshotBucketSuffix
	snaps, err := CreateOrBindObjectStore(ctx, js, jetstream.ObjectStoreConfig{
		Bucket:      bucket,
		Description: "Livefeed snapshots of " + cfg.Stream,
		Storage:     cfg.Storage,
		Replicas:    stream.CachedInfo().Config.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	closed, cancel := context.WithCancel(context.Background())
	j := &JetStream{
		js:     js,
		stream: stream,
		snaps:  snaps,
		epoch:  epochOf(stream.CachedInfo()),
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

// updateStreamConfig sets the settings Livefeed owns in an existing
// stream's configuration have to those of want, and reports whether any
// changed. Replication is never lowered (one node started with a smaller
// --replicas must not weaken the log for everyone) and the stream's
// metadata, its epoch included, is never replaced.
func updateStreamConfig(have *jetstream.StreamConfig, want jetstream.StreamConfig) bool {
	changed := false
	set := func(ok bool) { changed = changed || ok }
	set(have.Description != want.Description)
	have.Description = want.Description
	set(!slices.Equal(have.Subjects, want.Subjects))
	have.Subjects = want.Subjects
	set(have.Duplicates != want.Duplicates)
	have.Duplicates = want.Duplicates
	set(have.DenyDelete != want.DenyDelete)
	have.DenyDelete = want.DenyDelete
	set(have.Replicas < want.Replicas)
	have.Replicas = max(have.Replicas, want.Replicas)
	return changed
}

// Epoch implements Log.
func (j *JetStream) Epoch() string { return j.epoch }

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
