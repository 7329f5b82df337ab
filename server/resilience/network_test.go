package resilience

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/internal/faultproxy"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

func post(t testing.TB, tn *testnode.Node, u protocol.User, feed, op, text string) {
	t.Helper()
	a := protocol.Action{Op: op, Feed: feed, Text: text}.WithKind(protocol.TypePost)
	if _, err := tn.Service.Do(context.Background(), u, a); err != nil {
		t.Fatalf("post %s: %v", op, err)
	}
}

func closes(tn *testnode.Node, code int) int64 {
	v, ok := tn.Gateway.Stats.Closed.Load(code)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// adaBehindProxy starts a node (configured by mod) and a fault proxy in
// front of it, and returns Ada's client, live on feed "main" through the
// proxy.
func adaBehindProxy(t *testing.T, mod func(*node.Config)) (*testnode.Node, *faultproxy.Proxy, *client, protocol.User) {
	t.Helper()
	tn := testnode.Start(t, t.TempDir(), mod)
	proxy, err := faultproxy.New(strings.TrimPrefix(tn.Srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	token, u := tn.SignIn(t, "Ada")
	c := startClient(t, clientOpts{
		url: "ws://" + proxy.Addr() + "/ws", token: token, feeds: []string{"main"},
		backoff: session.Backoff{Base: 50 * time.Millisecond, Cap: 200 * time.Millisecond},
	})
	wait.Until(t, 10*time.Second, "live", func() bool { return c.s.Status().State == session.StateLive })
	return tn, proxy, c, u
}

// TestBlackHole: the network between a client and the server goes silent
// without closing. Both sides notice within 1.5 heartbeat intervals; when
// the network heals the client reconnects, resumes and misses nothing.
func TestBlackHole(t *testing.T) {
	const interval = 200 * time.Millisecond
	tn, proxy, c, u := adaBehindProxy(t, func(c *node.Config) { c.HeartbeatInterval = interval })
	var want []string
	next := func() {
		text := fmt.Sprintf("post %d", len(want))
		post(t, tn, u, "main", fmt.Sprint("op", len(want)), text)
		want = append(want, text)
	}
	for i := 0; i < 5; i++ {
		next()
	}
	wait.Until(t, 5*time.Second, "first posts", func() bool { return c.count() == 5 })

	proxy.BlackHole(true)
	start := time.Now()
	for i := 0; i < 5; i++ { // written while the client cannot hear
		next()
	}
	var clientNoticed, serverNoticed time.Duration
	wait.Until(t, 5*time.Second, "both sides to notice", func() bool {
		if clientNoticed == 0 && c.s.Status().State != session.StateLive {
			clientNoticed = time.Since(start)
		}
		if serverNoticed == 0 && closes(tn, protocol.CloseDead) >= 1 {
			serverNoticed = time.Since(start)
		}
		return clientNoticed > 0 && serverNoticed > 0
	})
	t.Logf("black hole noticed by the client after %v and by the server after %v (interval %v, bound 1.5 intervals = %v)",
		clientNoticed.Round(time.Millisecond), serverNoticed.Round(time.Millisecond), interval, protocol.DeadAfter(interval))
	// Generous ceiling (the machine is shared and -race is slow): the
	// point is that silence is noticed at all, in a bounded time.
	if bound := 5 * protocol.DeadAfter(interval); time.Since(start) > bound {
		t.Errorf("detection took %v, more than %v", time.Since(start), bound)
	}
	time.Sleep(300 * time.Millisecond)
	next()
	proxy.BlackHole(false)
	wait.Until(t, 10*time.Second, "live again", func() bool { return c.s.Status().State == session.StateLive })
	next()
	wait.Until(t, 10*time.Second, "every post", func() bool { return c.count() >= len(want) })
	time.Sleep(100 * time.Millisecond)
	c.check(t, "client", want)
	if st := c.s.Status().Stats; st.Reconnects < 1 || st.Resumes < 1 {
		t.Errorf("stats %+v: want a reconnect and a resume", st)
	}
}

// TestThrottledClientConverges: one client's downstream is throttled to 10
// KB/s while others receive 1,000 events. The server cuts it off instead of
// buffering for it; when the link is back to normal it resumes and ends with
// exactly the same events as everyone else.
func TestThrottledClientConverges(t *testing.T) {
	const queue = 64
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.SendQueue = queue })
	proxy, err := faultproxy.New(strings.TrimPrefix(tn.Srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetBandwidth(10 << 10)
	token, u := tn.SignIn(t, "Ada")
	bo := session.Backoff{Base: 50 * time.Millisecond, Cap: 200 * time.Millisecond}
	slow := startClient(t, clientOpts{url: "ws://" + proxy.Addr() + "/ws", token: token, feeds: []string{"main"}, backoff: bo})
	var fast []*client
	for i := 0; i < 3; i++ {
		fast = append(fast, startClient(t, clientOpts{url: tn.WSURL(), token: token, feeds: []string{"main"}, backoff: bo}))
	}
	wait.Until(t, 10*time.Second, "all live", func() bool {
		for _, c := range append(fast, slow) {
			if c.s.Status().State != session.StateLive {
				return false
			}
		}
		return true
	})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var want []string
	pad := strings.Repeat("x", 1900)
	var peak uint64
	for i := 0; i < 1000; i++ {
		text := fmt.Sprintf("event %d %s", i, pad)
		post(t, tn, u, "main", fmt.Sprint("op", i), text)
		want = append(want, text)
		if i%100 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
		}
	}
	for i, c := range fast {
		wait.Until(t, 20*time.Second, "fast client "+fmt.Sprint(i), func() bool { return c.count() >= len(want) })
		c.check(t, fmt.Sprint("fast client ", i), want)
	}
	cuts := tn.Gateway.Stats.SlowConsumers.Load()
	if cuts == 0 {
		t.Fatalf("the throttled client was never cut off")
	}
	// Bound: the throttled connection holds at most its queue (64 events of
	// ~2 KB) plus the WebSocket and socket buffers; everything else the
	// test process holds is the view (1,000 posts) and the other clients.
	growth := int64(peak) - int64(before.HeapInuse)
	t.Logf("throttled client cut %d times; heap in use grew by %d KB during 1,000 events (before %d KB)", cuts, growth>>10, before.HeapInuse>>10)
	if growth > 64<<20 {
		t.Errorf("heap grew by %d MB", growth>>20)
	}
	proxy.SetBandwidth(0)
	wait.Until(t, 30*time.Second, "the throttled client to converge", func() bool { return slow.count() >= len(want) })
	time.Sleep(100 * time.Millisecond)
	slow.check(t, "throttled client", want)
}

// TestProbe: a client that doubts its connection (a tab shown again)
// probes it. Through a network gone silent the probe goes unanswered and
// the client reconnects within protocol.ProbeTimeout, long before the
// heartbeat deadline (15 s at the default interval used here); on a
// healthy connection the server answers and nothing happens.
func TestProbe(t *testing.T) {
	tn, proxy, c, u := adaBehindProxy(t, nil)
	live := func() bool { return c.s.Status().State == session.StateLive }
	post(t, tn, u, "main", "op0", "before")
	wait.Until(t, 5*time.Second, "the first post", func() bool { return c.count() == 1 })

	// Healthy: probed three times, it stays on the same connection.
	for range 3 {
		c.s.Probe()
		time.Sleep(protocol.ProbeTimeout / 2)
	}
	time.Sleep(protocol.ProbeTimeout)
	if st := c.s.Status(); st.State != session.StateLive || st.Stats.Reconnects != 0 {
		t.Fatalf("after probes on a healthy connection: %s, %d reconnects", st.State, st.Stats.Reconnects)
	}

	proxy.BlackHole(true)
	post(t, tn, u, "main", "op1", "in the silence")
	start := time.Now()
	c.s.Probe()
	noticed := wait.Until(t, protocol.DeadAfter(protocol.HeartbeatInterval), "the probe to go unanswered", func() bool { return !live() })
	t.Logf("unanswered probe noticed after %v (ProbeTimeout %v, heartbeat deadline %v)",
		time.Since(start).Round(time.Millisecond), protocol.ProbeTimeout, protocol.DeadAfter(protocol.HeartbeatInterval))
	// Generous for a loaded machine, and still well under the 15 s
	// deadline that applies without a probe.
	if noticed > 2*protocol.ProbeTimeout {
		t.Fatalf("noticed after %v, want about %v", noticed, protocol.ProbeTimeout)
	}
	proxy.BlackHole(false)
	wait.Until(t, 10*time.Second, "live again", live)
	wait.Until(t, 5*time.Second, "the post written in the silence", func() bool { return c.count() == 2 })
	c.check(t, "client", []string{"before", "in the silence"})
}
