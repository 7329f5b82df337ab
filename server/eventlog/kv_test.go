package eventlog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestOpenKVRace: nodes opening the bucket at once all get it (one
// creates it, the others open it), and a key made with a TTL goes away
// by itself.
func TestOpenKVRace(t *testing.T) {
	ns, nc, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir(), Sync: SyncPeriodic}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer Shutdown(ns, nc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const n = 8
	kvs := make([]jetstream.KeyValue, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { kvs[i], errs[i] = OpenKV(ctx, nc, KVConfig{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("opener %d: %v", i, err)
		}
	}
	if _, err := kvs[0].Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if e, err := kvs[n-1].Get(ctx, "k"); err != nil || string(e.Value()) != "v" {
		t.Fatalf("another opener's bucket: %v %v", e, err)
	}
	if _, err := kvs[0].Create(ctx, "brief", []byte("x"), jetstream.KeyTTL(time.Second)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := kvs[0].Get(ctx, "brief")
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a key with a 1 s TTL still there after 10 s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
