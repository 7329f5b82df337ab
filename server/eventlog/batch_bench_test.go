package eventlog

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// These benchmarks measure what durable appends can reach on this machine,
// to size the feed service's append path (docs/performance.md): one op is
// one record acknowledged once on disk.
//
//   - always/...: the embedded server with SyncAlways (nats-server fsyncs
//     every record before acknowledging it).
//   - group/...: SyncGroup, the log's group commit (groupcommit.go): one
//     fsync for every append acknowledged before it started.
//   - Sequential: one append at a time (what one feed gets: the feed
//     service appends to a feed under its lock, one action after another).
//   - ConcurrentN: N appends in flight on N feeds (many feeds).
//   - AtomicBatchN: NATS atomic batch publish (nats-server >= 2.12), which
//     with SyncAlways stores a whole batch with one fsync.
//
// Appends go through JetStream.Append with a MsgID, as the feed service's.

func startBenchStream(b *testing.B, atomic bool) (*nats.Conn, jetstream.JetStream) {
	b.Helper()
	s, nc, err := StartEmbedded(EmbeddedConfig{Dir: b.TempDir(), Sync: SyncAlways}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { Shutdown(s, nc) })
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	_, err = js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name: "B", Subjects: []string{"b.>"}, Storage: jetstream.FileStorage,
		AllowAtomicPublish: atomic,
	})
	if err != nil {
		b.Fatal(err)
	}
	return nc, js
}

// openTestLog opens a log on a fresh embedded server with mode, both
// closed when the test ends.
func openTestLog(tb testing.TB, mode SyncMode) *JetStream {
	tb.Helper()
	cfg := EmbeddedConfig{Dir: filepath.Join(tb.TempDir(), "js"), Sync: mode}
	s, nc, err := StartEmbedded(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { Shutdown(s, nc) })
	l, err := OpenJetStream(context.Background(), nc, JetStreamConfig{GroupCommit: cfg.GroupCommitDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	return l
}

var benchRecord = make([]byte, 256)

func BenchmarkDurableAppend(b *testing.B) {
	for _, mode := range []SyncMode{SyncAlways, SyncGroup} {
		for _, writers := range []int{1, 8, 64} {
			name := fmt.Sprintf("%s/Concurrent%d", mode, writers)
			if writers == 1 {
				name = mode.String() + "/Sequential"
			}
			b.Run(name, func(b *testing.B) {
				l := openTestLog(b, mode)
				ctx := context.Background()
				var wg sync.WaitGroup
				ch := make(chan int)
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						feed := fmt.Sprintf("f%d", w)
						for i := range ch {
							if _, _, err := l.Append(ctx, feed, benchRecord, AppendOptions{MsgID: strconv.Itoa(i)}); err != nil {
								b.Error(err)
							}
						}
					}()
				}
				i := 0
				for b.Loop() {
					i++
					ch <- i
				}
				close(ch)
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
				if l.gc != nil {
					b.ReportMetric(float64(l.gc.rounds.Load())/float64(b.N), "fsync-rounds/append")
				}
			})
		}
	}
	for _, size := range []int{8, 64} {
		b.Run(fmt.Sprintf("AtomicBatch%d", size), func(b *testing.B) {
			nc, _ := startBenchStream(b, true)
			batch := 0
			n := 0
			for b.Loop() {
				n++
				if n%size != 0 {
					continue
				}
				batch++
				id := fmt.Sprintf("batch-%d", batch)
				for k := 1; k <= size; k++ {
					m := nats.NewMsg(fmt.Sprintf("b.f%d", k%16))
					m.Data = benchRecord
					m.Header.Set("Nats-Batch-Id", id)
					m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(k))
					m.Header.Set("Nats-Msg-Id", fmt.Sprintf("%d-%d", batch, k))
					if k < size {
						if err := nc.PublishMsg(m); err != nil {
							b.Fatal(err)
						}
						continue
					}
					m.Header.Set("Nats-Batch-Commit", "1")
					resp, err := nc.RequestMsg(m, 10e9)
					if err != nil {
						b.Fatal(err)
					}
					if len(resp.Data) == 0 || bytes.Contains(resp.Data, []byte(`"error"`)) {
						b.Fatalf("batch: %s", resp.Data)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}
