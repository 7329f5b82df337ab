package eventlog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// These benchmarks measure what durable appends can reach on this machine,
// to size the feed service's append path (docs/performance.md): one op is
// one record stored and fsynced (SyncAlways) before it is acknowledged.
//
//   - Sequential: one append at a time (what one feed gets today: the feed
//     service appends to a feed under its lock, one action after another).
//   - Concurrent: 64 appends in flight on 64 subjects (many feeds).
//   - AtomicBatch: NATS atomic batch publish (nats-server >= 2.12), which
//     with SyncAlways stores a whole batch with one fsync ("group commit").

func startBenchStream(b *testing.B, atomic bool) (*nats.Conn, jetstream.JetStream) {
	b.Helper()
	s, nc, err := StartEmbedded(EmbeddedConfig{Dir: b.TempDir(), SyncAlways: true}, nil)
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

var benchRecord = make([]byte, 256)

func BenchmarkDurableAppend(b *testing.B) {
	b.Run("Sequential", func(b *testing.B) {
		_, js := startBenchStream(b, false)
		ctx := context.Background()
		i := 0
		for b.Loop() {
			i++
			if _, err := js.Publish(ctx, "b.main", benchRecord, jetstream.WithMsgID(strconv.Itoa(i))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	})
	b.Run("Concurrent64", func(b *testing.B) {
		_, js := startBenchStream(b, false)
		ctx := context.Background()
		var wg sync.WaitGroup
		ch := make(chan int)
		for w := range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ch {
					if _, err := js.Publish(ctx, fmt.Sprintf("b.f%d", w), benchRecord, jetstream.WithMsgID(strconv.Itoa(i))); err != nil {
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
	})
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

// BenchmarkGroupCommit is a prototype of group commit, measured here before
// any server change is proposed (docs/performance.md): the embedded server
// runs with periodic sync (each append is written to the OS, not fsynced),
// and an append counts as durable only after an fsync of the stream's
// message blocks that started after the append returned. Concurrent
// appenders share one fsync. One op is one durable append.
func BenchmarkGroupCommit(b *testing.B) {
	for _, writers := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			dir := b.TempDir()
			s, nc, err := StartEmbedded(EmbeddedConfig{Dir: dir}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { Shutdown(s, nc) })
			js, _ := jetstream.New(nc)
			if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "B", Subjects: []string{"b.>"}, Storage: jetstream.FileStorage}); err != nil {
				b.Fatal(err)
			}
			msgs := filepath.Join(dir, "jetstream", "$G", "streams", "B", "msgs")
			gc := newGroupSyncer(msgs)
			defer gc.close()
			ctx := context.Background()
			var wg sync.WaitGroup
			ch := make(chan int)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range ch {
						if _, err := js.Publish(ctx, fmt.Sprintf("b.f%d", w), benchRecord, jetstream.WithMsgID(strconv.Itoa(i))); err != nil {
							b.Error(err)
						}
						if err := gc.sync(); err != nil {
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
			b.ReportMetric(float64(gc.fsyncs.Load())/float64(b.N), "fsyncs/append")
		})
	}
}

// groupSyncer fsyncs a directory's files for many waiters at once: a
// waiter returns after an fsync round that started after it called sync.
type groupSyncer struct {
	dir    string
	mu     sync.Mutex
	cond   *sync.Cond
	asked  uint64 // rounds requested
	done   uint64 // rounds finished
	err    error
	stop   bool
	fsyncs atomic.Int64
}

func newGroupSyncer(dir string) *groupSyncer {
	g := &groupSyncer{dir: dir}
	g.cond = sync.NewCond(&g.mu)
	go g.loop()
	return g
}

func (g *groupSyncer) sync() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	// The round that starts after this call: the one after the running one.
	want := g.done + 1
	if g.asked > g.done {
		want = g.asked + 1
	}
	g.asked = max(g.asked, want)
	g.cond.Broadcast()
	for g.done < want && !g.stop {
		g.cond.Wait()
	}
	return g.err
}

func (g *groupSyncer) loop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for !g.stop {
		if g.asked <= g.done {
			g.cond.Wait()
			continue
		}
		round := g.asked
		g.mu.Unlock()
		err := fsyncDir(g.dir)
		g.fsyncs.Add(1)
		g.mu.Lock()
		g.err, g.done = err, round
		g.cond.Broadcast()
	}
}

func (g *groupSyncer) close() {
	g.mu.Lock()
	g.stop = true
	g.cond.Broadcast()
	g.mu.Unlock()
}

// fsyncDir fsyncs the newest message blocks of a stream and the directory.
func fsyncDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".blk") {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, e.Name()), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
