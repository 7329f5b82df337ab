package feed

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/eventlog"
)

// BenchmarkDurableDo measures the write path alone (no HTTP, no
// subscribers): Do of posts through the embedded JetStream log with group
// commit (the server's default), 256 actions in flight over 1 and 16
// feeds. It reports acknowledged actions per second and the process's CPU
// per action (the embedded NATS server included).
func BenchmarkDurableDo(b *testing.B) {
	for _, feeds := range []int{1, 16} {
		b.Run(fmt.Sprintf("feeds=%d", feeds), func(b *testing.B) {
			cfg := eventlog.EmbeddedConfig{Dir: b.TempDir(), Sync: eventlog.SyncGroup}
			srv, nc, err := eventlog.StartEmbedded(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer eventlog.Shutdown(srv, nc)
			log, err := eventlog.OpenJetStream(context.Background(), nc, eventlog.JetStreamConfig{GroupCommit: cfg.GroupCommitDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer log.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := Open(ctx, log, nil, Config{NewFeedRate: -1})
			if err != nil {
				b.Fatal(err)
			}
			go s.Run(ctx)
			const inFlight = 256
			ch := make(chan int, inFlight)
			var wg sync.WaitGroup
			for range inFlight {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range ch {
						if _, err := s.Do(ctx, ann, postAction(fmt.Sprint("f", i%feeds), fmt.Sprint("op", i), "a post of about forty bytes, like one")); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				ch <- i
				i++
			}
			close(ch)
			wg.Wait()
			el := b.Elapsed()
			b.ReportMetric(float64(b.N)/el.Seconds(), "acked/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/action")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
