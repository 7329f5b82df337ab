package eventlog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"livefeed/server/eventlog"
)

// TestCreateOrBindRace opens the same stream and buckets from many callers
// at once, each with a configuration of its own (as nodes of two versions
// would): every one gets the asset, none an "already in use" error.
func TestCreateOrBindRace(t *testing.T) {
	nc, _ := startEmbedded(t, eventlog.SyncAlways)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const callers = 8
	var wg sync.WaitGroup
	errs := make(chan error, 3*callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			desc := fmt.Sprintf("caller %d", i)
			if _, err := eventlog.CreateOrBindStream(ctx, js, jetstream.StreamConfig{Name: "RACE", Subjects: []string{"race.>"}, Description: desc}, nil); err != nil {
				errs <- err
			}
			if _, err := eventlog.CreateOrBindKeyValue(ctx, js, jetstream.KeyValueConfig{Bucket: "RACE_KV", Description: desc}); err != nil {
				errs <- err
			}
			if _, err := eventlog.CreateOrBindObjectStore(ctx, js, jetstream.ObjectStoreConfig{Bucket: "RACE_OBJ", Description: desc}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestEpoch: a log keeps its epoch when opened again, and a log recreated
// under the same name (its data wiped) has another one.
func TestEpoch(t *testing.T) {
	nc, _ := startEmbedded(t, eventlog.SyncAlways)
	cfg := eventlog.JetStreamConfig{Stream: "EPOCH", SubjectPrefix: "epoch.feed"}
	first := openJetStream(t, nc, cfg).Epoch()
	if first == "" {
		t.Fatal("no epoch")
	}
	if again := openJetStream(t, nc, cfg).Epoch(); again != first {
		t.Fatalf("reopened: epoch %q, was %q", again, first)
	}
	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(context.Background(), "EPOCH"); err != nil {
		t.Fatal(err)
	}
	if re := openJetStream(t, nc, cfg).Epoch(); re == first {
		t.Fatalf("recreated log kept epoch %q", re)
	}
}
