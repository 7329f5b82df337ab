package eventlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Creating the JetStream assets (streams, key-value and object buckets)
// that every node of a cluster opens, often at the same moment: each is
// created by whichever node gets there first and bound to by the others.
// "Already in use" from a create means another node won the race, never an
// error. These helpers make one attempt each: a cluster that cannot answer
// yet makes them fail, and the caller (node.Start) retries.

// CreateOrBindStream returns the stream cfg.Name, creating it with cfg when
// it does not exist. An existing stream is handed to update (nil: keep it
// as it is) with its current configuration; update changes it in place and
// returns true when the stream must be updated to it. Metadata of the
// existing stream is kept as it is unless update changes it.
func CreateOrBindStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig, update func(have *jetstream.StreamConfig) bool) (jetstream.Stream, error) {
	// Two rounds: bind, else create; a create that lost the race binds.
	for range 2 {
		st, err := js.Stream(ctx, cfg.Name)
		switch {
		case err == nil:
			have := st.CachedInfo().Config
			if update == nil || !update(&have) {
				return st, nil
			}
			st, err = js.UpdateStream(ctx, have)
			if err != nil {
				return nil, fmt.Errorf("update stream %s: %w", cfg.Name, err)
			}
			return st, nil
		case !errors.Is(err, jetstream.ErrStreamNotFound):
			return nil, fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
		st, err = js.CreateStream(ctx, cfg)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil, fmt.Errorf("create stream %s: %w", cfg.Name, err)
		}
	}
	return nil, fmt.Errorf("stream %s: being created by another node, not visible yet", cfg.Name)
}

// CreateOrBindKeyValue returns the key-value bucket cfg.Bucket, creating it
// with cfg when it does not exist. An existing bucket is used as it is.
func CreateOrBindKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	return createOrBindBucket("key-value bucket "+cfg.Bucket,
		func() (jetstream.KeyValue, error) { return js.KeyValue(ctx, cfg.Bucket) },
		func() (jetstream.KeyValue, error) { return js.CreateKeyValue(ctx, cfg) })
}

// CreateOrBindObjectStore returns the object store cfg.Bucket, creating it
// with cfg when it does not exist. An existing bucket is used as it is.
func CreateOrBindObjectStore(ctx context.Context, js jetstream.JetStream, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	return createOrBindBucket("object store "+cfg.Bucket,
		func() (jetstream.ObjectStore, error) { return js.ObjectStore(ctx, cfg.Bucket) },
		func() (jetstream.ObjectStore, error) { return js.CreateObjectStore(ctx, cfg) })
}

// createOrBindBucket binds with bind, else creates with create, and binds
// when the create lost the race to another caller.
func createOrBindBucket[B any](what string, bind, create func() (B, error)) (B, error) {
	var zero B
	for range 2 {
		b, err := bind()
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, jetstream.ErrBucketNotFound) {
			return zero, fmt.Errorf("%s: %w", what, err)
		}
		b, err = create()
		if err == nil {
			return b, nil
		}
		if !alreadyInUse(err) {
			return zero, fmt.Errorf("create %s: %w", what, err)
		}
	}
	return zero, fmt.Errorf("%s: being created by another node, not visible yet", what)
}

// alreadyInUse reports a create that found the asset made by another
// caller (with another configuration, or before this one's went through).
func alreadyInUse(err error) bool {
	return errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse)
}
