package eventlog_test

import (
	"fmt"
	"sync"
	"testing"

	"livefeed/server/eventlog"
)

// TestStorePipelinedRestart stores records to one feed back to back, each
// expecting the one stored before (not yet durable), and waits for each in
// its own goroutine, as feed.Service does: every record whose WaitDurable
// returned nil is there, in order, after the log is closed and the server
// restarted.
func TestStorePipelinedRestart(t *testing.T) {
	for _, mode := range []eventlog.SyncMode{eventlog.SyncGroup, eventlog.SyncAlways} {
		t.Run("sync="+mode.String(), func(t *testing.T) { testStorePipelinedRestart(t, mode) })
	}
}

func testStorePipelinedRestart(t *testing.T, mode eventlog.SyncMode) {
	const n = 300
	ctx := t.Context()
	cfg := eventlog.EmbeddedConfig{Dir: t.TempDir(), Sync: mode}
	jcfg := eventlog.JetStreamConfig{GroupCommit: cfg.GroupCommitDir()}
	// The cleanups registered here stop what the test has not already
	// stopped: closing and shutting down twice is harmless.
	s, nc := startEmbeddedAt(t, cfg)
	l := openJetStream(t, nc, jcfg)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		acked  = map[uint64]string{}
		last   uint64
		stored []uint64
	)
	for i := range n {
		data := fmt.Sprint("r", i)
		seq, _, err := l.Store(ctx, "a", []byte(data), eventlog.AppendOptions{ExpectLast: true, LastSeq: last, MsgID: data})
		if err != nil {
			t.Fatalf("Store %d expecting %d: %v", i, last, err)
		}
		last, stored = seq, append(stored, seq)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.WaitDurable(ctx, seq); err != nil {
				t.Errorf("WaitDurable(%d): %v", seq, err)
				return
			}
			mu.Lock()
			acked[seq] = data
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(acked) != n {
		t.Fatalf("%d of %d acknowledged", len(acked), n)
	}
	_ = l.Close()
	eventlog.Shutdown(s, nc)

	_, nc = startEmbeddedAt(t, cfg)
	l = openJetStream(t, nc, jcfg)
	i := 0
	err := l.ReadFeed(ctx, "a", 1, 0, func(r eventlog.Record) error {
		if i >= n || r.Seq != stored[i] || string(r.Data) != acked[r.Seq] {
			return fmt.Errorf("record %d after restart = %d %q, want %d %q", i, r.Seq, r.Data, stored[min(i, n-1)], acked[stored[min(i, n-1)]])
		}
		i++
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("after restart: %d records, %v; want %d", i, err, n)
	}
}
