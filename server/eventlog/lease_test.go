package eventlog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"livefeed/server/eventlog"
	"livefeed/server/internal/wait"
)

// TestHoldLease: the compaction lease of a shared log (feed/compact.go) is
// held by one node at a time. Of nodes asking at once exactly one gets it;
// while its holder renews it, for longer than the lease lasts, every other
// node is refused; a lease its holder stops renewing lapses and goes to the
// next node that asks, and the old holder is refused from then on.
func TestHoldLease(t *testing.T) {
	nc, _ := startEmbedded(t, eventlog.SyncPeriodic)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The leases bucket made here first, with a short TTL, so that a lapse
	// takes seconds, not eventlog.LeaseTTL: HoldLease binds to the bucket
	// it finds, as a node does to the one the first node made.
	const ttl = 2 * time.Second
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventlog.CreateOrBindKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket: eventlog.DefaultStream + "_LEASES", TTL: ttl,
	}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	logs := make([]*eventlog.JetStream, n)
	holders := make([]string, n)
	for i := range n {
		logs[i] = openJetStream(t, nc, eventlog.JetStreamConfig{})
		holders[i] = fmt.Sprintf("lf-%d/run", i+1)
	}
	hold := func(i int) bool {
		t.Helper()
		ok, err := logs[i].HoldLease(ctx, "compact", holders[i])
		if err != nil {
			t.Fatalf("%s: HoldLease: %v", holders[i], err)
		}
		return ok
	}

	// All at once: one winner.
	held := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { held[i], errs[i] = logs[i].HoldLease(ctx, "compact", holders[i]) })
	}
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("%s: HoldLease: %v", holders[i], errs[i])
		}
		if held[i] {
			if winner >= 0 {
				t.Fatalf("both %s and %s hold the lease", holders[winner], holders[i])
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("nobody holds the lease")
	}

	// Renewed every ttl/5 for 1.5 ttl: still the winner's, nobody else's.
	// The others ask first, so that a lease the winner's asking did not
	// renew would lapse into one of their hands.
	for end := time.Now().Add(ttl * 3 / 2); time.Now().Before(end); time.Sleep(ttl / 5) {
		for i := range n {
			if i != winner && hold(i) {
				t.Fatalf("%s took the lease %s renews", holders[i], holders[winner])
			}
		}
		if !hold(winner) {
			t.Fatalf("%s lost the lease it renews", holders[winner])
		}
	}

	// The winner stops: the lease lapses and the next to ask takes it.
	next := (winner + 1) % n
	took := wait.Until(t, 10*ttl, "the lapsed lease taken by the next node", func() bool { return hold(next) })
	if took < ttl/2 {
		t.Errorf("the lease was taken %v after its holder stopped, before it could lapse (%v)", took, ttl)
	}
	if hold(winner) {
		t.Errorf("%s holds the lease again after %s took it", holders[winner], holders[next])
	}
}
