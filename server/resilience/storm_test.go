//go:build !race

// The storm runs 2,000 sessions in one test process: more goroutines than
// the race detector supports (8,128), so it runs in the non-race pass of
// `make test`.

package resilience

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/internal/wait"
)

// TestReconnectStorm: 2,000 clients on one feed; the server restarts
// (SIGTERM, telling clients to come back within 2 s) while a writer keeps
// posting. Every client is back, resumed, with every event exactly once;
// every client had the goaway and scheduled its reconnect within the window,
// so that reconnects are spread over it instead of arriving at once.
func TestReconnectStorm(t *testing.T) {
	const (
		N      = 2000
		window = 2 * time.Second
	)
	// All N clients come from 127.0.0.1: the per-address cap (an
	// attacker's limit, tested in server/abuse) is lifted.
	srv := newServer(t, "--restart-window", window.String(), "--max-conns-per-ip", "0", "--sign-in-rate", "0")
	// 20 connections per user, within gateway.MaxConnsPerUser.
	tokens := make([]string, N/20)
	for i := range tokens {
		tokens[i] = signIn(t, srv, fmt.Sprintf("user%d", i))
	}
	var restartAt time.Time
	clients := make([]*client, N)
	for i := range clients {
		c := startClient(t, clientOpts{url: srv.WSURL(), token: tokens[i%len(tokens)], feeds: []string{"main"}})
		clients[i] = c
		if i%200 == 199 {
			time.Sleep(50 * time.Millisecond) // a gentler first wave
		}
	}
	wait.Until(t, 60*time.Second, "all clients live", func() bool {
		for _, c := range clients {
			if c.s.Status().State != session.StateLive {
				return false
			}
		}
		return true
	})
	writer := signIn(t, srv, "writer")
	var want []string
	postN := func(n int) {
		for i := 0; i < n; i++ {
			text := fmt.Sprintf("storm %d", len(want))
			postHTTP(t, srv, writer, "main", fmt.Sprint("storm-op-", len(want)), text)
			want = append(want, text)
		}
	}
	postN(20)
	restartAt = time.Now()
	srv.Signal(syscall.SIGTERM)
	writeDone := make(chan struct{})
	go func() { defer close(writeDone); postN(30) }() // retries until the server is back
	srv.Start()
	restarted := time.Since(restartAt)
	<-writeDone
	wait.For(t, 120*time.Second, wait.Poll, func() error {
		missing, notLive := 0, 0
		for _, c := range clients {
			if c.count() < len(want) {
				missing++
			}
			if c.s.Status().State != session.StateLive {
				notLive++
			}
		}
		if missing+notLive > 0 {
			return fmt.Errorf("of %d clients, %d miss events (want %d each) and %d are not live", len(clients), missing, len(want), notLive)
		}
		return nil
	})
	allBack := time.Since(restartAt)
	serverPeak := metric(t, srv, "livefeed_accept_peak_per_100ms")
	for i, c := range clients {
		c.check(t, fmt.Sprint("client ", i), want)
		if st := c.s.Status().Stats; st.Reconnects < 1 || st.Duplicates != 0 {
			t.Errorf("client %d stats %+v", i, st)
		}
		if t.Failed() {
			break
		}
	}
	var connects []time.Time // welcomes after the restart began
	for _, c := range clients {
		c.mu.Lock()
		for _, at := range c.lives {
			if at.After(restartAt) {
				connects = append(connects, at)
			}
		}
		c.mu.Unlock()
	}
	buckets := map[int64]int{}
	for _, at := range connects {
		buckets[int64(at.Sub(restartAt)/(100*time.Millisecond))]++
	}
	peak := 0
	var keys []int64
	for k, n := range buckets {
		peak = max(peak, n)
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var hist []int
	for k := slices.Min(keys); k <= slices.Max(keys); k++ {
		hist = append(hist, buckets[k])
	}
	// When each client scheduled its first attempt after the goaway: the
	// spreading as the clients decided it, whatever the machine did then.
	// Each must have had the goaway (written just before the close frame)
	// to know the window.
	scheduled := map[int64]int{}
	nScheduled, noGoaway := 0, 0
	var noGoawayWhy string
	for _, c := range clients {
		c.mu.Lock()
		for _, tr := range c.tries {
			if tr.at.After(restartAt) {
				scheduled[int64(tr.at.Sub(restartAt)/(100*time.Millisecond))]++
				nScheduled++
				if !strings.Contains(tr.why, "server closed the connection: restart") {
					noGoaway++
					noGoawayWhy = tr.why
				}
				break
			}
		}
		c.mu.Unlock()
	}
	schedPeak := 0
	for _, n := range scheduled {
		schedPeak = max(schedPeak, n)
	}
	// Each client schedules its first attempt at U[0, window] plus its own
	// full-jitter backoff step: spread uniformly, N clients over the window
	// make N·100ms/window = 100 per 100 ms; the peak of 2,000 draws
	// measured 106-124 in 11 runs. Without the window all of them come
	// within the first backoff step (≤ 500 ms): 400 per 100 ms on average,
	// a peak of 391-420 measured. The bound, 2.5× the uniform rate, lies
	// between the two.
	//
	// The server's accept peak is logged, not asserted: on this 2-core
	// machine, shared by the server and this 2,000-session process, stalls
	// of either bunch the arrivals. With the window it measured 151-307
	// per 100 ms (174-266 once every client had its goaway, see above),
	// without it 318-461: it cannot tell the two apart reliably.
	bound := 5 * N * int(100*time.Millisecond) / int(window) / 2
	t.Logf("storm: %d clients, server back after %v, all resumed after %v", N, restarted.Round(time.Millisecond), allBack.Round(time.Millisecond))
	t.Logf("first attempts after the goaway: %d scheduled, peak %d within 100 ms (bound %d)", nScheduled, schedPeak, bound)
	t.Logf("server: peak %d upgrades accepted within 100 ms, %d accepts in all", serverPeak, metric(t, srv, "livefeed_accepts_total"))
	t.Logf("client welcomes per 100 ms (as this busy process saw them): peak %d: %v", peak, hist)
	if len(connects) < N {
		t.Errorf("%d reconnections seen, want at least %d", len(connects), N)
	}
	if nScheduled < N {
		t.Errorf("%d clients scheduled a reconnect after the goaway, want %d", nScheduled, N)
	}
	if noGoaway > 0 {
		t.Errorf("%d clients reconnected without the goaway's window, e.g. after %q", noGoaway, noGoawayWhy)
	}
	if schedPeak > bound {
		t.Errorf("%d reconnects scheduled within 100 ms, more than %d: not spread over the window", schedPeak, bound)
	}
}

// metric reads one value from the server's /metrics.
func metric(t testing.TB, s *server, name string) int {
	resp, err := http.Get(s.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return int(f)
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
