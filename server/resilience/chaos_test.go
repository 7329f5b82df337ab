//go:build !race

// Like the storm, the chaos loop runs hundreds of sessions in this process;
// under the race detector (5-10× slower) a 2-core machine cannot keep 200
// clients and a restarting server within their heartbeat deadlines, so it
// runs in the non-race pass of `make test`.

package resilience

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

// TestChaosKill9: 200 clients post and read while the server is killed
// with SIGKILL 5 times at random moments. Afterwards every post exists
// exactly once, every outbox is empty (each action was acknowledged), and
// every client's applied sequence is gap-free and duplicate-free and ends
// at the same position.
func TestChaosKill9(t *testing.T) {
	const (
		N       = 200
		perUser = 8
		kills   = 5
	)
	// 200 users from 127.0.0.1: the per-address sign-in limit (tested in
	// httpapi) is lifted.
	srv := newServer(t, "--sign-in-rate", "0")
	tokens := make([]string, N)
	for i := range tokens {
		tokens[i] = signIn(t, srv, fmt.Sprintf("chaos%d", i))
	}
	bo := session.Backoff{Base: 100 * time.Millisecond, Cap: time.Second}
	clients := make([]*client, N)
	for i := range clients {
		clients[i] = startClient(t, clientOpts{url: srv.WSURL(), token: tokens[i], feeds: []string{"main"}, backoff: bo})
	}
	wait.Until(t, 60*time.Second, "all live", func() bool {
		for _, c := range clients {
			if c.s.Status().State != session.StateLive {
				return false
			}
		}
		return true
	})
	// Posting: each client queues perUser posts at random moments over ~6 s.
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < perUser; j++ {
				time.Sleep(time.Duration(rand.Int64N(int64(1500 * time.Millisecond))))
				if _, err := c.s.Post("main", fmt.Sprintf("chaos %d-%d", i, j)); err != nil {
					t.Errorf("post: %v", err)
				}
			}
		}()
	}
	// Killing: 5 SIGKILLs at random moments, restarting at once each time.
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(300+rand.Int64N(1200)) * time.Millisecond)
		srv.Signal(syscall.SIGKILL)
		srv.Start()
	}
	wg.Wait()
	// Waiting for every outbox to drain, the failure names each client
	// still behind; the server's output follows it.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server output:\n%s", srv.Output())
		}
	})
	wait.For(t, 60*time.Second, 20*time.Millisecond, func() error {
		var behind []string
		for i, c := range clients {
			if p := c.s.Pending(); len(p) > 0 || c.s.Status().State != session.StateLive {
				st := c.s.Status()
				first := "none"
				if len(p) > 0 {
					first = fmt.Sprint(p[0].AckedPos)
				}
				behind = append(behind, fmt.Sprintf("client %d: %s, %d pending (first acked at %s), last error %q, feed at %d", i, st.State, len(p), first, st.LastError, c.s.Feed("main").Pos))
			}
		}
		if len(behind) > 0 {
			return fmt.Errorf("outboxes did not drain:\n%s", strings.Join(behind, "\n"))
		}
		return nil
	})
	// The server's whole feed, replayed from position 0 by a fresh client.
	all := replayAll(t, srv, tokens[0])
	count := map[string]int{}
	var last uint64
	for _, e := range all {
		if e.Kind == protocol.KindPost {
			count[e.Text]++
		}
		last = e.Pos
	}
	for i := 0; i < N; i++ {
		for j := 0; j < perUser; j++ {
			if n := count[fmt.Sprintf("chaos %d-%d", i, j)]; n != 1 {
				t.Errorf("post %d-%d stored %d times", i, j, n)
			}
		}
	}
	if len(count) != N*perUser {
		t.Errorf("%d distinct posts stored, want %d", len(count), N*perUser)
	}
	wait.For(t, 60*time.Second, wait.Poll, func() error {
		behind, lowest := 0, last
		for _, c := range clients {
			if p := c.s.Feed("main").Pos; p != last {
				behind, lowest = behind+1, min(lowest, p)
			}
		}
		if behind > 0 {
			return fmt.Errorf("%d of %d clients not at the last position %d yet (the lowest at %d)", behind, len(clients), last, lowest)
		}
		return nil
	})
	rejected, resumes, dups := 0, 0, 0
	for i, c := range clients {
		rejected += len(c.s.Rejected())
		st := c.s.Status().Stats
		resumes += st.Resumes
		dups += st.Duplicates
		c.mu.Lock()
		if len(c.errs) > 0 {
			t.Errorf("client %d: %v", i, c.errs)
		}
		c.mu.Unlock()
	}
	if rejected > 0 {
		t.Errorf("%d actions rejected", rejected)
	}
	t.Logf("chaos: %d clients, %d kills, %d posts each stored once, %d events in the feed, %d resumes, %d duplicate deliveries ignored by clients",
		N, kills, len(count), len(all), resumes, dups)
}

// replayAll reads a feed's every event with a resume from 0.
func replayAll(t testing.TB, srv *server, token string) []protocol.Event {
	t.Helper()
	var mu sync.Mutex
	var evs []protocol.Event
	subscribed := make(chan struct{})
	var once sync.Once
	s := session.New(session.Config{
		URL: srv.WSURL(), Token: token, Feeds: []string{"main"}, InitialPos: map[string]uint64{"main": 0},
		OnUpdate: func(u session.Update) {
			if u.Kind == session.UpdateFeed && u.Event != nil {
				mu.Lock()
				evs = append(evs, *u.Event)
				mu.Unlock()
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go s.Run(ctx)
	for s.Status().Stats.LastCatchUp == 0 {
		if ctx.Err() != nil {
			t.Fatal("replay did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	once.Do(func() { close(subscribed) })
	mu.Lock()
	defer mu.Unlock()
	return append([]protocol.Event(nil), evs...)
}
