package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Leases: a job meant to be done once for a whole cluster (compaction) is
// done by the node holding its lease, a key of a key-value bucket shared by
// every node. A holder renews its lease each time it asks; a lease not
// renewed for LeaseTTL lapses (the bucket's max age removes it) and the
// next node to ask takes it.

// LeaseTTL is how long a lease lasts without renewal.
const LeaseTTL = time.Minute

// leaseBucketSuffix names the bucket of a stream's leases.
const leaseBucketSuffix = "_LEASES"

// Leaser is implemented by logs shared by several nodes.
type Leaser interface {
	// HoldLease reports whether holder holds the lease name: it takes it
	// when nobody holds it, renews it when holder does (for another
	// LeaseTTL), and reports false when another holder does.
	HoldLease(ctx context.Context, name, holder string) (bool, error)
}

var _ Leaser = (*JetStream)(nil)

// leases is the bucket of a JetStream's leases, created on first use (only
// nodes that compact need it).
type leases struct {
	mu sync.Mutex
	kv jetstream.KeyValue
}

// HoldLease implements Leaser.
func (j *JetStream) HoldLease(ctx context.Context, name, holder string) (bool, error) {
	if j.isClosed() {
		return false, ErrClosed
	}
	kv, err := j.leaseBucket(ctx)
	if err != nil {
		return false, err
	}
	e, err := kv.Get(ctx, name)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		_, err = kv.Create(ctx, name, []byte(holder))
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil // another node took it first
		}
	case err != nil:
	case string(e.Value()) != holder:
		return false, nil
	default:
		_, err = kv.Update(ctx, name, []byte(holder), e.Revision())
		if errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil // lapsed and taken in between
		}
	}
	if err != nil {
		return false, fmt.Errorf("eventlog: lease %s: %w", name, err)
	}
	return true, nil
}

func (j *JetStream) leaseBucket(ctx context.Context) (jetstream.KeyValue, error) {
	j.leases.mu.Lock()
	defer j.leases.mu.Unlock()
	if j.leases.kv != nil {
		return j.leases.kv, nil
	}
	kv, err := CreateOrBindKeyValue(ctx, j.js, jetstream.KeyValueConfig{
		Bucket:      j.name + leaseBucketSuffix,
		Description: "Livefeed leases of " + j.name + " (who compacts)",
		TTL:         LeaseTTL,
		Storage:     j.stream.CachedInfo().Config.Storage,
		Replicas:    j.stream.CachedInfo().Config.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: %w", err)
	}
	j.leases.kv = kv
	return kv, nil
}
