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

// KV is the accounts bucket: a jetstream.KeyValue that can also rewrite a
// key with a TTL of its own (UpdateTTL), which nats.go's KeyValue can do
// only when it creates a key (jetstream.KeyTTL).
type KV struct {
	jetstream.KeyValue
	js jetstream.JetStream
}

// MinKeyTTL is the shortest per-key TTL JetStream takes.
const MinKeyTTL = time.Second

// UpdateTTL rewrites key with value if its latest revision is rev (else an
// error matching jetstream.ErrKeyRevisionMismatch), to be removed by the
// server ttl from now (at least MinKeyTTL): the marker the removal leaves
// is seen by watchers as a jetstream.KeyValuePurge. Renewing a key is
// rewriting it with a new TTL.
func (k *KV) UpdateTTL(ctx context.Context, key string, value []byte, rev uint64, ttl time.Duration) (uint64, error) {
	m := &nats.Msg{Subject: "$KV." + k.Bucket() + "." + key, Data: value, Header: nats.Header{}}
	ack, err := k.js.PublishMsg(ctx, m, jetstream.WithMsgTTL(max(ttl, MinKeyTTL)),
		jetstream.WithExpectLastSequencePerSubject(rev))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return 0, fmt.Errorf("%w: %w", err, jetstream.ErrKeyRevisionMismatch)
		}
		return 0, err
	}
	return ack.Sequence, nil
}

// OpenKV creates the bucket described by cfg on nc, or opens it when it
// exists. Two nodes starting together may both try to create it: the one
// that loses the race opens the bucket the other made.
func OpenKV(ctx context.Context, nc *nats.Conn, cfg KVConfig) (*KV, error) {
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
	// An existing bucket is used as it is: one node's flags never lower
	// (or otherwise change) its replication.
	kv, err := CreateOrBindKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "Livefeed accounts, sessions, passkeys and API tokens",
		History:     1,
		Storage:     cfg.Storage,
		Replicas:    cfg.Replicas,
		// Lets keys be written with a TTL (jetstream.KeyTTL,
		// UpdateTTL): begun passkey ceremonies that nobody finishes and
		// sessions nobody presents again go away by themselves.
		LimitMarkerTTL: kvMarkerTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: open bucket: %w", err)
	}
	return &KV{KeyValue: kv, js: js}, nil
}
