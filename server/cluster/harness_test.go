package cluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"livefeed/app/session"
	"livefeed/server/eventlog"
	"livefeed/server/feed"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// testRestartWindow is the window a stopping node gives its clients.
const testRestartWindow = 300 * time.Millisecond

// harness is a NATS JetStream cluster of 3 servers and Livefeed nodes on it.
type harness struct {
	t    *testing.T
	nats *NATS
	key  []byte
	bg   sync.WaitGroup // background shutdowns of crashed nodes

	mu        sync.Mutex
	nodes     []*lfNode
	balancers []*balancer
}

// lfNode is one Livefeed node served over HTTP on a free port.
type lfNode struct {
	*node.Node
	name   string
	srv    *httptest.Server
	dialer *cutDialer
	down   atomic.Bool
}

func (n *lfNode) addr() string { return strings.TrimPrefix(n.srv.URL, "http://") }

func (n *lfNode) wsURL() string { return "ws://" + n.addr() + "/ws" }

func newHarness(t *testing.T, nodes int) *harness {
	t.Helper()
	var lg *slog.Logger
	if os.Getenv("LIVEFEED_CLUSTER_LOG") != "" {
		lg = testLogger()
	}
	nc, err := StartNATS(NATSConfig{Dir: t.TempDir(), SyncAlways: true, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, nats: nc, key: make([]byte, 32)}
	rand.Read(h.key)
	t.Cleanup(func() {
		if t.Failed() {
			h.dumpJetStream()
		}
		h.mu.Lock()
		nodes := slices.Clone(h.nodes)
		h.mu.Unlock()
		for _, n := range nodes {
			h.stopNode(n)
		}
		h.bg.Wait()
		h.nats.Shutdown()
	})
	for i := 0; i < nodes; i++ {
		n := h.startNode(i)
		h.mu.Lock()
		h.nodes = append(h.nodes, n)
		h.mu.Unlock()
	}
	return h
}

// node returns node i.
func (h *harness) node(i int) *lfNode {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nodes[i]
}

// restartNode replaces node i (stopped or crashed) with a new one.
func (h *harness) restartNode(i int) *lfNode {
	h.t.Helper()
	n := h.startNode(i)
	h.mu.Lock()
	h.nodes[i] = n
	h.mu.Unlock()
	return n
}

func testLogger() *slog.Logger {
	if os.Getenv("LIVEFEED_CLUSTER_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startNode starts Livefeed node i, connected first to NATS server i%3
// (then to the others, in order), with the cluster's session key.
func (h *harness) startNode(i int) *lfNode {
	h.t.Helper()
	urls := h.nats.URLs()
	first := i % len(urls)
	urls = append(urls[first:], urls[:first]...)
	d := &cutDialer{conns: map[net.Conn]bool{}}
	name := fmt.Sprintf("node-%d", i+1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := node.Start(ctx, node.Config{
		DataDir:       h.t.TempDir(),
		NATSURLs:      urls,
		NATSOptions:   []nats.Option{nats.DontRandomize(), nats.SetCustomDialer(d)},
		Replicas:      3,
		SessionKey:    h.key,
		Name:          name,
		RestartWindow: testRestartWindow,
		Logger:        testLogger().With("node", name),
	})
	if err != nil {
		h.t.Fatalf("start %s: %v", name, err)
	}
	return &lfNode{Node: n, name: name, srv: httptest.NewServer(n.Handler), dialer: d}
}

// stopNode stops a node gracefully: clients get a goaway and the node
// says goodbye to the cluster (idempotent).
func (h *harness) stopNode(n *lfNode) {
	if n.down.Swap(true) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.Shutdown(ctx)
	n.srv.CloseClientConnections()
	n.srv.Close()
}

// crashNode makes a node vanish as a dead machine would: its NATS
// connection and every client connection are cut at once and nothing more
// leaves it. (The process-internal leftovers are shut down in the
// background.)
func (h *harness) crashNode(n *lfNode) {
	if n.down.Swap(true) {
		return
	}
	n.dialer.cut()
	n.srv.Listener.Close()
	h.mu.Lock()
	bs := slices.Clone(h.balancers)
	h.mu.Unlock()
	for _, b := range bs {
		b.cutTo(n)
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Shutdown(ctx)
		n.srv.Close()
	}()
}

// live returns the nodes that are up.
func (h *harness) live() []*lfNode {
	h.mu.Lock()
	defer h.mu.Unlock()
	var l []*lfNode
	for _, n := range h.nodes {
		if !n.down.Load() {
			l = append(l, n)
		}
	}
	return l
}

// waitConverged waits until every live node has applied the whole log and
// returns the log's last position.
func (h *harness) waitConverged() uint64 {
	h.t.Helper()
	var last uint64
	wait.Until(h.t, 20*time.Second, "every node to apply the whole log", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, l, err := h.live()[0].Log.Bounds(ctx)
		if err != nil {
			return false
		}
		last = l
		for _, n := range h.live() {
			if n.Service.View().Applied() < l {
				return false
			}
		}
		return true
	})
	return last
}

// checkViewsEqual compares every live node's view with the first's.
func (h *harness) checkViewsEqual() {
	h.t.Helper()
	l := h.live()
	for _, n := range l[1:] {
		if !l[0].Service.View().Equal(n.Service.View()) {
			_, a, _ := l[0].Service.View().Marshal()
			_, b, _ := n.Service.View().Marshal()
			h.t.Fatalf("views differ:\n%s: %s\n%s: %s", l[0].name, a, n.name, b)
		}
	}
}

// feedEvents reads every event of feed from the log.
func feedEvents(t *testing.T, lg eventlog.Log, feedName string) []protocol.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var evs []protocol.Event
	err := lg.ReadFeed(ctx, feedName, 1, 0, func(r eventlog.Record) error {
		e, err := feed.EventOf(r)
		evs = append(evs, e)
		return err
	})
	if err != nil {
		t.Fatalf("read feed %s: %v", feedName, err)
	}
	return evs
}

// cutDialer dials NATS for a node and can cut it off for good.
type cutDialer struct {
	mu    sync.Mutex
	dead  bool
	conns map[net.Conn]bool
}

func (d *cutDialer) Dial(network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		return nil, errors.New("test: this node is cut off")
	}
	c, err := net.DialTimeout(network, address, 2*time.Second)
	if err == nil {
		d.conns[c] = true
	}
	return c, err
}

func (d *cutDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dead = true
	for c := range d.conns {
		c.Close()
	}
}

// balancer is a TCP load balancer in front of the nodes: each new
// connection goes to the first node of its preference order that is up and
// not draining.
type balancer struct {
	ln    net.Listener
	h     *harness
	order []int

	mu       sync.Mutex
	drain    map[*lfNode]bool
	conns    map[net.Conn]*lfNode // client side -> node
	lastNode *lfNode
}

func newBalancer(t *testing.T, h *harness, order ...int) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, h: h, order: order, drain: map[*lfNode]bool{}, conns: map[net.Conn]*lfNode{}}
	h.mu.Lock()
	h.balancers = append(h.balancers, b)
	h.mu.Unlock()
	go b.accept()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
	})
	return b
}

func (b *balancer) url() string { return "ws://" + b.ln.Addr().String() + "/ws" }

// setDraining takes a node out of rotation for new connections (its
// readiness check failing), as a load balancer does before a node stops.
func (b *balancer) setDraining(n *lfNode) {
	b.mu.Lock()
	b.drain[n] = true
	b.mu.Unlock()
}

// current returns the node the newest connection went to.
func (b *balancer) current() *lfNode {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastNode
}

func (b *balancer) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.handle(c)
	}
}

func (b *balancer) handle(c net.Conn) {
	var up net.Conn
	var to *lfNode
	for _, i := range b.order {
		n := b.h.node(i)
		b.mu.Lock()
		skip := n.down.Load() || b.drain[n]
		b.mu.Unlock()
		if skip {
			continue
		}
		var err error
		if up, err = net.DialTimeout("tcp", n.addr(), time.Second); err == nil {
			to = n
			break
		}
	}
	if up == nil {
		c.Close()
		return
	}
	b.mu.Lock()
	b.conns[c] = to
	b.lastNode = to
	b.mu.Unlock()
	done := make(chan struct{}, 2)
	pump := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pump(up, c)
	go pump(c, up)
	<-done
	<-done
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
}

// cutTo closes every balanced connection to n (the node's machine died).
func (b *balancer) cutTo(n *lfNode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c, to := range b.conns {
		if to == n {
			c.Close()
		}
	}
}

// signIn signs name in on node n and returns the token and user.
func signIn(t *testing.T, n *lfNode, name string) (string, protocol.User) {
	t.Helper()
	return testnode.SignIn(t, n.srv.URL, name)
}

// client is a raw protocol client. Reads happen in one goroutine that
// forwards messages (heartbeats dropped) to msgs, stamped on arrival.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	msgs chan stamped
	err  chan error
}

type stamped struct {
	m  protocol.Message
	at time.Time
}

func dial(t *testing.T, url, token string) *client {
	t.Helper()
	ws := testnode.DialURL(t, url, token).WS // closed when the test ends
	c := &client{t: t, ws: ws, msgs: make(chan stamped, 4096), err: make(chan error, 1)}
	go func() {
		for {
			_, b, err := ws.Read(context.Background())
			at := time.Now()
			if err != nil {
				c.err <- err
				close(c.msgs)
				return
			}
			m, err := protocol.Decode(b)
			if err != nil {
				c.err <- fmt.Errorf("undecodable message %s: %w", b, err)
				close(c.msgs)
				return
			}
			if _, ok := m.(protocol.Heartbeat); ok {
				continue
			}
			c.msgs <- stamped{m, at}
		}
	}()
	return c
}

func (c *client) send(m protocol.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, protocol.MustEncode(m))
}

// next returns the next message (presence included), or an error after
// timeout or when the connection ends.
func (c *client) next(timeout time.Duration) (stamped, error) {
	select {
	case s, ok := <-c.msgs:
		if !ok {
			return stamped{}, <-c.err
		}
		return s, nil
	case <-time.After(timeout):
		return stamped{}, errors.New("timed out reading")
	}
}

// expectType skips presence messages and returns the next message as T.
func expectType[T protocol.Message](t *testing.T, c *client) T {
	t.Helper()
	for {
		s, err := c.next(10 * time.Second)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if _, ok := s.m.(protocol.Presence); ok {
			continue
		}
		v, ok := s.m.(T)
		if !ok {
			var zero T
			t.Fatalf("got %T %+v, want %T", s.m, s.m, zero)
		}
		return v
	}
}

func (c *client) hello(t *testing.T, subs ...protocol.Sub) protocol.Welcome {
	t.Helper()
	if err := c.send(protocol.Hello{Client: "cluster-test", Subs: subs}); err != nil {
		t.Fatal(err)
	}
	return expectType[protocol.Welcome](t, c)
}

// recorder collects what a session applies.
type recorder struct {
	mu       sync.Mutex
	events   []protocol.Event
	welcomes []time.Time // when each connection went live
	applied  []time.Time // when each event was applied
	logs     []string
}

func (r *recorder) onUpdate(s **session.Session) func(session.Update) {
	connects := 0
	return func(u session.Update) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch u.Kind {
		case session.UpdateStatus:
			if st := (*s).Status(); st.State == session.StateLive && st.Stats.Connects > connects {
				connects = st.Stats.Connects
				r.welcomes = append(r.welcomes, time.Now())
			}
		case session.UpdateFeed:
			if u.Event != nil {
				r.events = append(r.events, *u.Event)
				r.applied = append(r.applied, time.Now())
			}
		}
	}
}

func (r *recorder) snapshot() ([]protocol.Event, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events), slices.Clone(r.welcomes)
}

// startSession runs an app/session client through url until the test ends.
func startSession(t *testing.T, url, token, feedName string) (*session.Session, *recorder) {
	t.Helper()
	rec := &recorder{}
	var s *session.Session
	s = session.New(session.Config{
		URL: url, Token: token, Client: "cluster-test", Feeds: []string{feedName},
		Backoff:  session.Backoff{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond},
		OnUpdate: rec.onUpdate(&s),
		Logf: func(format string, args ...any) {
			rec.mu.Lock()
			rec.logs = append(rec.logs, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
			rec.mu.Unlock()
		},
	})
	t.Cleanup(func() {
		if t.Failed() {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, l := range rec.logs {
				t.Logf("session %s: %s", token[:8], l)
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, rec
}

// checkChain verifies that events are a feed's events exactly once, in
// order, each naming the previous one, and that they are exactly want.
func checkChain(t *testing.T, who string, got, want []protocol.Event) {
	t.Helper()
	var prev uint64
	for i, e := range got {
		if e.Prev != prev || e.Pos <= prev {
			t.Fatalf("%s: event %d (pos %d prev %d) does not follow pos %d", who, i, e.Pos, e.Prev, prev)
		}
		prev = e.Pos
	}
	if len(got) != len(want) {
		t.Fatalf("%s applied %d events, the log holds %d", who, len(got), len(want))
	}
	for i := range got {
		if got[i].Pos != want[i].Pos || got[i].Op != want[i].Op || got[i].Text != want[i].Text {
			t.Fatalf("%s: event %d is %+v, the log has %+v", who, i, got[i], want[i])
		}
	}
}

// percentile returns the p-th percentile (0..100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// dumpJetStream logs the stream and its consumers (for failures).
func (h *harness) dumpJetStream() {
	run := h.nats.Running()
	if len(run) == 0 {
		return
	}
	nc, err := nats.Connect(h.nats.URL(run[0]))
	if err != nil {
		h.t.Logf("dump: %v", err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, eventlog.DefaultStream)
	if err != nil {
		h.t.Logf("dump: stream: %v", err)
		return
	}
	info, _ := st.Info(ctx)
	if info != nil {
		h.t.Logf("stream: state %+v cluster leader %s replicas %+v", info.State, info.Cluster.Leader, info.Cluster.Replicas)
	}
	l := st.ListConsumers(ctx)
	for ci := range l.Info() {
		h.t.Logf("consumer %s: filter %v start %d delivered %+v ackfloor %+v pending %d waiting %d ackpending %d redelivered %d cluster %+v paused %v pushbound %v created %v",
			ci.Name, ci.Config.FilterSubjects, ci.Config.OptStartSeq, ci.Delivered, ci.AckFloor, ci.NumPending, ci.NumWaiting, ci.NumAckPending, ci.NumRedelivered, ci.Cluster, ci.Paused, ci.PushBound, ci.Created.Format(time.StampMilli))
	}
	if err := l.Err(); err != nil {
		h.t.Logf("dump: consumers: %v", err)
	}
}
