package eventlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Retention: trimming the stream and the snapshot of the view that
// replaces what was trimmed.

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
	// Not atomic with the Put: two nodes saving at once could still both
	// pass. Compaction (feed) is done by one node, the holder of its lease
	// (lease.go); this catches a node that lost the lease while it lagged.
	if info, err := j.snaps.GetInfo(ctx, snapshotObject); err == nil {
		if have, err := strconv.ParseUint(info.Metadata[snapshotSeqKey], 10, 64); err == nil && have > seq {
			return ErrStaleSnapshot
		}
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("eventlog: save snapshot at %d: %w", seq, err)
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
