package resilience

import (
	"context"
	"fmt"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/internal/faultproxy"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestFallbackBehindProxies: behind a proxy that refuses the WebSocket
// upgrade, a session that chooses its transport goes live over an HTTP
// stream; behind one that holds every response until it ends, over polls.
// Behind each, every event arrives exactly once and in order, across a
// restart of the server, and an action sent while it was down lands once.
func TestFallbackBehindProxies(t *testing.T) {
	for _, tc := range []struct {
		mode int
		want string
	}{
		{faultproxy.RefuseUpgrade, session.TransportStream},
		{faultproxy.BufferResponses, session.TransportPoll},
	} {
		t.Run(tc.want, func(t *testing.T) {
			mod := func(c *node.Config) { c.RestartWindow = 200 * time.Millisecond }
			r := testnode.NewRestartable(t, mod)
			proxy, err := faultproxy.New(r.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			proxy.SetHTTPMode(tc.mode)
			token, _ := r.TN.SignIn(t, "Ada")
			_, writer := r.TN.SignIn(t, "Writer")

			start := time.Now()
			c := startClient(t, clientOpts{url: "ws://" + proxy.Addr() + "/ws", token: token, feeds: []string{"main"},
				backoff: session.Backoff{Base: 50 * time.Millisecond, Cap: 300 * time.Millisecond}, transport: session.TransportAuto})
			wait.Until(t, 30*time.Second, "live", func() bool { return c.s.Status().State == session.StateLive })
			t.Logf("live over %s %v after start (%+v)", c.s.Status().Transport, time.Since(start).Round(time.Millisecond), proxy.HTTPStats())
			if got := c.s.Status().Transport; got != tc.want {
				t.Fatalf("live over %q, want %q", got, tc.want)
			}

			var want []string
			post := func(i int) {
				text := fmt.Sprintf("post %d", i)
				a := protocol.Action{Op: fmt.Sprintf("op%d", i), Feed: "main", Text: text}.WithKind(protocol.TypePost)
				if _, err := r.TN.Service.Do(context.Background(), writer, a); err != nil {
					t.Fatal(err)
				}
				want = append(want, text)
			}
			for i := range 20 {
				post(i)
			}
			wait.Until(t, 20*time.Second, "the first posts", func() bool { return c.count() >= 20 })

			// The server restarts; the session's own post, written
			// while it is down, is sent once when it is back.
			r.TN.Stop()
			id, err := c.s.Post("main", "while down")
			if err != nil {
				t.Fatal(err)
			}
			r.Start(mod)
			for i := 20; i < 40; i++ {
				post(i)
			}
			wait.Until(t, 60*time.Second, "every post after the restart", func() bool { return c.count() >= 41 })
			if got := c.s.Status().Transport; got != tc.want {
				t.Fatalf("after the restart live over %q, want %q", got, tc.want)
			}
			var mine []string
			c.mu.Lock()
			for _, e := range c.events {
				if e.Op == id {
					mine = append(mine, e.Text)
				}
			}
			c.mu.Unlock()
			if len(mine) != 1 {
				t.Fatalf("the post written while down arrived %d times", len(mine))
			}
			want = append(want[:20:20], append([]string{"while down"}, want[20:]...)...)
			if got := len(r.TN.Service.View().Snapshot("main").Posts); got != 41 {
				t.Fatalf("the server holds %d posts, want 41", got)
			}
			checkInOrder(t, c, want)
		})
	}
}

// checkInOrder checks that c applied every text of want once, in the order
// of the log, with the one written while the server was down anywhere
// after the first 20 (it lands when the session is back, among the rest).
func checkInOrder(t *testing.T, c *client, want []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		t.Fatalf("continuity: %v", c.errs)
	}
	seen := map[string]int{}
	var others []string
	for _, e := range c.events {
		seen[e.Text]++
		if e.Text != "while down" {
			others = append(others, e.Text)
		}
	}
	for _, w := range want {
		if seen[w] != 1 {
			t.Fatalf("%q applied %d times", w, seen[w])
		}
	}
	k := 0
	for _, w := range want {
		if w == "while down" {
			continue
		}
		if others[k] != w {
			t.Fatalf("post %d is %q, want %q", k, others[k], w)
		}
		k++
	}
}

// TestFallbackMovesUp: a session live over a stream because its proxy
// refused the upgrade moves up to a WebSocket, without a restart, soon
// after the proxy lets upgrades through, and applies every event once.
func TestFallbackMovesUp(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	proxy, err := faultproxy.New(tn.Srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetHTTPMode(faultproxy.RefuseUpgrade)
	token, _ := tn.SignIn(t, "Ada")
	_, writer := tn.SignIn(t, "Writer")
	const probeUp = 300 * time.Millisecond
	c := startClient(t, clientOpts{url: "ws://" + proxy.Addr() + "/ws", token: token, feeds: []string{"main"},
		backoff: session.Backoff{Base: 50 * time.Millisecond, Cap: 300 * time.Millisecond}, transport: session.TransportAuto, probeUp: probeUp})
	wait.Until(t, 20*time.Second, "live over a stream", func() bool {
		st := c.s.Status()
		return st.State == session.StateLive && st.Transport == session.TransportStream
	})
	var want []string
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // posts all along, across the move
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			text := fmt.Sprintf("post %d", i)
			a := protocol.Action{Op: fmt.Sprintf("op%d", i), Feed: "main", Text: text}.WithKind(protocol.TypePost)
			if _, err := tn.Service.Do(context.Background(), writer, a); err != nil {
				t.Error(err)
				return
			}
			want = append(want, text)
		}
	}()
	time.Sleep(5 * probeUp) // not a wait: the probes keep failing meanwhile
	if got := c.s.Status().Transport; got != session.TransportStream {
		t.Fatalf("moved to %q while upgrades are refused", got)
	}
	proxy.SetHTTPMode(faultproxy.TCP)
	moved := wait.Until(t, 20*time.Second, "moved up to a WebSocket", func() bool {
		st := c.s.Status()
		return st.State == session.StateLive && st.Transport == session.TransportWebSocket
	})
	t.Logf("moved up %v after upgrades were let through", moved.Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	close(stop)
	<-done
	wait.Until(t, 20*time.Second, "every post", func() bool { return c.count() >= len(want) })
	c.check(t, "ada", want)
}
