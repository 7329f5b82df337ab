package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The key-value bucket beside the log: accounts, sessions, passkey
// credentials and API tokens (package auth). It lives on the same NATS
// (embedded or an external cluster) as the log, so every node sees the
// same identities.

// DefaultAccountsBucket is the name of the bucket OpenKV opens by default.
const DefaultAccountsBucket = "LIVEFEED_ACCOUNTS"

// kvMarkerTTL is how long the bucket keeps the marker of a key its TTL
// removed (the shortest JetStream allows is 1 s).
const kvMarkerTTL = time.Minute

// KVConfig configures OpenKV. Zero fields take defaults.
type KVConfig struct {
	// Bucket is the bucket's name (default DefaultAccountsBucket).
	Bucket string
	// Replicas of the bucket's stream (default 1). An existing bucket
	// with more keeps them.
	Replicas int
	// Storage (default jetstream.FileStorage).
	Storage jetstream.StorageType
}

// OpenKV creates the bucket described by cfg on nc, or opens it when it
// exists. Two nodes starting together may both try to create it: the one
// that loses the race opens the bucket the other made.
func OpenKV(ctx context.Context, nc *nats.Conn, cfg KVConfig) (jetstream.KeyValue, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultAccountsBucket
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventlog: jetstream: %w", err)
	}
	if kv, err := js.KeyValue(ctx, cfg.Bucket); err == nil {
		// Never lower (or otherwise change) an existing bucket's
		// replication from one node's flags.
		return kv, nil
	} else if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("eventlog: open bucket %s: %w", cfg.Bucket, err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "Livefeed accounts, sessions, passkeys and API tokens",
		History:     1,
		Storage:     cfg.Storage,
		Replicas:    cfg.Replicas,
		// Lets keys be created with a TTL (jetstream.KeyTTL): begun
		// passkey ceremonies that nobody finishes go away by themselves.
		LimitMarkerTTL: kvMarkerTTL,
	})
	if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		// Created by another node between our look and our create.
		kv, err = js.KeyValue(ctx, cfg.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("eventlog: create bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}
