package hub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"livefeed/server/internal/wait"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// startNATS runs a plain NATS server (no JetStream: presence uses core NATS)
// on a free port.
func startNATS(t *testing.T) *server.Server { return startNATSWith(t, server.Options{}) }

// startNATSWith starts a NATS server with opts (on a free loopback port,
// quiet).
func startNATSWith(t *testing.T, opts server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, true, true
	s, err := server.NewServer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// testHub is a cluster hub running on its own connection.
type testHub struct {
	*Hub
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

func startHub(t *testing.T, s *server.Server, name string) *testHub {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	h := NewCluster(ClusterConfig{Conn: nc, Node: name, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	th := &testHub{Hub: h, nc: nc, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(th.done); h.Run(ctx) }()
	t.Cleanup(th.stop)
	return th
}

// stop stops the hub gracefully (it says goodbye), then closes its
// connection.
func (th *testHub) stop() {
	th.cancel()
	<-th.done
	th.nc.Close()
}

// crash cuts the hub off the cluster without a goodbye, as a dead machine.
func (th *testHub) crash() {
	th.nc.Close()
	th.cancel()
	<-th.done
}

// sink records the presence messages it is offered.
type sink struct {
	mu   sync.Mutex
	last *protocol.Presence
	n    int
}

func (s *sink) Deliver(*Frames) {}

func (s *sink) DeliverPresence(frame []byte) {
	msg, ok := wsframe.Payload(frame)
	if !ok {
		panic("not a text frame")
	}
	m, err := protocol.Decode(msg)
	if err != nil {
		panic(err)
	}
	p := m.(protocol.Presence)
	s.mu.Lock()
	s.last = &p
	s.n++
	s.mu.Unlock()
}

func (s *sink) online() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return nil
	}
	return names(*s.last)
}

func names(p protocol.Presence) []string {
	var ns []string
	for _, u := range p.Online {
		ns = append(ns, u.Name)
	}
	return ns
}

var (
	ada = protocol.User{ID: "u-ada", Name: "Ada"}
	bob = protocol.User{ID: "u-bob", Name: "Bob"}
	cyd = protocol.User{ID: "u-cyd", Name: "Cyd"}
)

func TestClusterPresenceAppearsAndLeaves(t *testing.T) {
	t.Parallel()
	s := startNATS(t)
	a, b := startHub(t, s, "a"), startHub(t, s, "b")
	sa, sb := &sink{}, &sink{}
	a.Join("main", sa, ada)
	b.Join("main", sb, bob)
	both := []string{"Ada", "Bob"}
	d := wait.Until(t, 5*time.Second, "both hubs to show Ada and Bob", func() bool {
		return slices.Equal(names(a.Presence("main")), both) && slices.Equal(names(b.Presence("main")), both)
	})
	t.Logf("cross-node presence after %v", d)
	wait.Until(t, 5*time.Second, "the subscribers to be told", func() bool {
		return slices.Equal(sa.online(), both) && slices.Equal(sb.online(), both)
	})
	// Another feed is not affected, and its presence is not shared with
	// a hub that does not follow it.
	if got := names(b.Presence("other")); len(got) != 0 {
		t.Fatalf("feed other: %v", got)
	}

	// Ada leaves node a: node b drops her at the next announcement,
	// without waiting for the expiry.
	a.Leave("main", sa)
	a.Join("main", &sink{}, cyd)
	d = wait.Until(t, PresenceExpiry, "Ada to leave and Cyd to come on node b", func() bool {
		return slices.Equal(sb.online(), []string{"Bob", "Cyd"})
	})
	t.Logf("a leave and a join on node a reached node b after %v", d)

	// The same user on two nodes is shown once, and stays online while
	// one of her subscriptions remains.
	sa2 := &sink{}
	a.Join("main", sa2, bob)
	wait.Until(t, 5*time.Second, "node b to hear of Bob on node a", func() bool {
		users, _, ok := heard(b, a, "main")
		_, bob := users[bob.ID]
		return ok && bob
	})
	if got := names(b.Presence("main")); !slices.Equal(got, []string{"Bob", "Cyd"}) {
		t.Fatalf("Bob on two nodes: %v", got)
	}
	a.Leave("main", sa2)
	b.Leave("main", sb)
	b.Join("main", sb, bob)
	moved := time.Now()
	wait.Until(t, 5*time.Second, "node a to hear from node b since Bob moved, and show him once", func() bool {
		users, at, ok := heard(a, b, "main")
		_, bob := users[bob.ID]
		return ok && bob && at.After(moved) && slices.Equal(names(a.Presence("main")), []string{"Bob", "Cyd"})
	})
}

// heard returns the users node from last announced to h for feed, and when
// h received that announcement (or its latest repeat).
func heard(h, from *testHub, feed string) (users map[string]protocol.User, at time.Time, ok bool) {
	h.pres.mu.Lock()
	defer h.pres.mu.Unlock()
	f := h.pres.feeds[feed]
	if f == nil {
		return nil, time.Time{}, false
	}
	r, ok := f.remote[from.NodeID()]
	if !ok {
		return nil, time.Time{}, false
	}
	return maps.Clone(r.users), r.expires.Add(-r.ttl), true
}

// adaAndBobOnTwoNodes starts a NATS server and hubs a and b on it, Ada
// on a and Bob on b in feed main, and waits until Bob's subscriber sb is
// shown both.
func adaAndBobOnTwoNodes(t *testing.T) (s *server.Server, a, b *testHub, sb *sink) {
	t.Helper()
	s = startNATS(t)
	a, b = startHub(t, s, "a"), startHub(t, s, "b")
	sb = &sink{}
	a.Join("main", &sink{}, ada)
	b.Join("main", sb, bob)
	wait.Until(t, 5*time.Second, "Ada on node b", func() bool {
		return slices.Equal(sb.online(), []string{"Ada", "Bob"})
	})
	return s, a, b, sb
}

func TestClusterPresenceExpiresWhenNodeDies(t *testing.T) {
	t.Parallel()
	_, a, b, sb := adaAndBobOnTwoNodes(t)
	// Several beats later she is still there (the beats keep her): node
	// b hears from node a after her first announcement would have expired.
	later := time.Now().Add(PresenceExpiry + PresenceInterval)
	wait.Until(t, PresenceExpiry+PresenceInterval+5*time.Second, "node b to hear node a's beats past an expiry", func() bool {
		_, at, ok := heard(b, a, "main")
		return ok && at.After(later)
	})
	if got := names(b.Presence("main")); !slices.Equal(got, []string{"Ada", "Bob"}) {
		t.Fatalf("after some beats: %v", got)
	}
	a.crash()
	died := time.Now()
	// Not dropped at once: only the expiry removes a silent node's users.
	if got := names(b.Presence("main")); !slices.Equal(got, []string{"Ada", "Bob"}) {
		t.Fatalf("right after the crash: %v", got)
	}
	d := wait.Until(t, PresenceDropAfter+3*time.Second, "Ada to expire on node b", func() bool {
		return slices.Equal(sb.online(), []string{"Bob"})
	})
	t.Logf("a dead node's user dropped out after %v (documented bound %v)", d, PresenceDropAfter)
	if d > PresenceDropAfter+time.Second {
		t.Errorf("dropped after %v; documented bound is %v", d, PresenceDropAfter)
	}
	if d < PresenceExpiry-PresenceBeat-PresenceInterval {
		t.Errorf("dropped after only %v (%v since death), before the expiry", d, time.Since(died))
	}
}

func TestClusterPresenceGoodbyeAndLateJoiner(t *testing.T) {
	t.Parallel()
	s, a, _, sb := adaAndBobOnTwoNodes(t)
	// A node joining the feed later asks the others and learns who is
	// online without waiting for their next beat.
	c := startHub(t, s, "c")
	start := time.Now()
	c.Join("main", &sink{}, cyd)
	wait.Until(t, 5*time.Second, "node c to know everyone", func() bool {
		return slices.Equal(names(c.Presence("main")), []string{"Ada", "Bob", "Cyd"})
	})
	t.Logf("a late joiner learned presence after %v", time.Since(start))
	// A clean shutdown says goodbye: its users go at the next
	// announcement, well before the expiry.
	a.stop()
	d := wait.Until(t, PresenceExpiry, "Ada to leave after node a's goodbye", func() bool {
		return slices.Equal(sb.online(), []string{"Bob", "Cyd"})
	})
	t.Logf("a stopped node's user dropped out after %v", d)
}

func TestClusterPresenceIgnoresGarbage(t *testing.T) {
	t.Parallel()
	s := startNATS(t)
	a := startHub(t, s, "a")
	sa := &sink{}
	a.Join("main", sa, ada)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Node a follows the feed once one of its own announcements has come
	// back through NATS (it subscribes before it announces): messages
	// published before that would be lost.
	sub, err := nc.SubscribeSync(PresenceSubject + ".main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("no announcement from node a: %v", err)
	}
	sub.Unsubscribe()
	for _, m := range []string{"", "{", `{"online":[{"id":"x","name":"X"}]}`, `{"node":"z","online":"nope"}`, `[1,2]`} {
		nc.Publish(PresenceSubject+".main", []byte(m))
	}
	// A well-formed message from an unknown node with a silly TTL is
	// bounded by the default expiry.
	nc.Publish(PresenceSubject+".main", []byte(`{"node":"ghost","online":[{"id":"g","name":"Ghost"}],"ttl_ms":99999999999}`))
	wait.Until(t, 5*time.Second, "the ghost to appear", func() bool {
		return slices.Equal(names(a.Presence("main")), []string{"Ada", "Ghost"})
	})
	wait.Until(t, PresenceDropAfter+3*time.Second, "the ghost to expire", func() bool {
		return slices.Equal(names(a.Presence("main")), []string{"Ada"})
	})
}

// TestSingleNodeHubPresence: the default hub does not touch NATS and keeps
// local presence as before.
func TestSingleNodeHubPresence(t *testing.T) {
	h := New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	s1, s2 := &sink{}, &sink{}
	h.Join("main", s1, ada)
	h.Join("main", s2, bob)
	wait.Until(t, 5*time.Second, "presence announced", func() bool {
		return slices.Equal(s1.online(), []string{"Ada", "Bob"})
	})
	h.Leave("main", s2)
	wait.Until(t, 5*time.Second, "Bob gone", func() bool { return slices.Equal(s1.online(), []string{"Ada"}) })
	if h.NodeID() != "" {
		t.Fatalf("single-node hub has node id %q", h.NodeID())
	}
}

// TestClusterPresenceCountAndBoundedList: the count is of distinct users
// over every node (a user on two nodes counts once) and the bounded list is
// the first MaxPresenceList of all of them, on every node.
func TestClusterPresenceCountAndBoundedList(t *testing.T) {
	t.Parallel()
	const L = protocol.MaxPresenceList
	s := startNATS(t)
	a, b := startHub(t, s, "a"), startHub(t, s, "b")
	sa, sb := &sink{}, &sink{}
	// Node a has the even users 0..2L, node b the odd ones and user 0
	// again: 2L+1 distinct users, 0 on both nodes.
	a.Join("main", sa, user(0))
	b.Join("main", sb, user(0))
	for i := 1; i <= 2*L; i++ {
		on := a
		if i%2 == 1 {
			on = b
		}
		on.Join("main", &sink{}, user(i))
	}
	want := users(0, L)
	ok := func(p *protocol.Presence) bool {
		return p != nil && p.Count == 2*L+1 && slices.Equal(p.Online, want)
	}
	wait.Until(t, 5*time.Second, "both nodes to count 2L+1 users and list the first L", func() bool {
		pa, pb := a.Presence("main"), b.Presence("main")
		sa.mu.Lock()
		defer sa.mu.Unlock()
		sb.mu.Lock()
		defer sb.mu.Unlock()
		return ok(&pa) && ok(&pb) && ok(sa.last) && ok(sb.last)
	})

	// A node that counts more users than it lists (over MaxSharedUsers):
	// the others count the unlisted ones too.
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Publish(PresenceSubject+".main", []byte(`{"node":"big","online":[{"id":"u00000","name":"user 00000"},{"id":"zz","name":"zz"}],"count":1000,"ttl_ms":3000}`))
	wait.Until(t, 5*time.Second, "node a to count the big node's unlisted users", func() bool {
		p := a.Presence("main")
		return p.Count == 2*L+1+1+998 && slices.Equal(p.Online, want)
	})
}

// TestClusterPresenceOverPayloadLimit: a node whose list of users does not
// fit in one NATS message (the server's max_payload, 1 MB by default, here
// 64 KiB) announces the first of them by name and the full count, and the
// other nodes show the right presence.
func TestClusterPresenceOverPayloadLimit(t *testing.T) {
	t.Parallel()
	s := startNATSWith(t, server.Options{MaxPayload: 64 << 10})
	a, b := startHub(t, s, "a"), startHub(t, s, "b")
	// 2,000 users with 40-character names: about 170 KB of list.
	const n = 2000
	long := strings.Repeat("é", 30)
	for i := range n {
		a.Join("main", &sink{}, protocol.User{ID: fmt.Sprintf("u%05d", i), Name: fmt.Sprintf("%s %05d", long, i)})
	}
	sb := &sink{}
	b.Join("main", sb, bob)
	wait.Until(t, 10*time.Second, "node b to count node a's users", func() bool {
		p := b.Presence("main")
		return p.Count == n+1 && len(p.Online) == protocol.MaxPresenceList
	})
	p := b.Presence("main")
	// Sorted by name: "Bob" first, then node a's first users.
	if p.Online[0].Name != "Bob" || p.Online[1].ID != "u00000" || p.Online[protocol.MaxPresenceList-1].ID != fmt.Sprintf("u%05d", protocol.MaxPresenceList-2) {
		t.Fatalf("node b lists %v ... %v", p.Online[:2], p.Online[len(p.Online)-1])
	}
}
