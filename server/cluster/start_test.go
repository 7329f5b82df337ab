package cluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"livefeed/server/node"
)

// TestNodesStartTogetherOnFormingCluster starts two nodes at the same time
// as their NATS cluster, before it has a JetStream meta leader: both race
// to create the stream and the snapshot bucket on a cluster that cannot
// answer yet. Both must wait and become ready (before the fix both failed
// with "create stream LIVEFEED: context deadline exceeded").
func TestNodesStartTogetherOnFormingCluster(t *testing.T) {
	nc, err := StartNATS(NATSConfig{Dir: t.TempDir(), SyncAlways: true, NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Shutdown)
	key := make([]byte, 32)
	rand.Read(key)
	start := time.Now()
	var wg sync.WaitGroup
	nodes := make([]*node.Node, 2)
	errs := make([]error, 2)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			name := fmt.Sprintf("node-%d", i+1)
			nodes[i], errs[i] = node.Start(ctx, node.Config{
				DataDir: t.TempDir(), NATSURLs: nc.URLs(), Replicas: 3, SessionKey: key,
				Name: name, Logger: testLogger().With("node", name),
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i+1, err)
			continue
		}
		t.Cleanup(func() { nodes[i].Shutdown(context.Background()) })
	}
	t.Logf("2 nodes started together with a 3-server cluster: ready after %v", time.Since(start).Round(time.Millisecond))
}
