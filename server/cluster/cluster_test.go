package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/eventlog"
	"livefeed/server/hub"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

// These tests run a 3-server NATS JetStream cluster (sync_interval always)
// and Livefeed nodes on it (stream replicas 3, one session key), all inside
// the test process on free 127.0.0.1 ports. Node i connects first to NATS
// server i. Clients reach nodes directly or through a TCP load balancer.

// TestPostsAcrossNodes: a session signed on one node is accepted by the
// others; clients on different nodes see each other's posts live, in the
// same order, each exactly once. It also measures publish-to-delivery
// latency within one node and across nodes.
func TestPostsAcrossNodes(t *testing.T) {
	h := newHarness(t, 3)
	tokA, _ := signIn(t, h.node(0), "Ada")
	tokB, _ := signIn(t, h.node(1), "Bob")
	tokC, _ := signIn(t, h.node(2), "Cyd")
	// Each token is used on a node that did not sign it.
	cs := []*client{dial(t, h.node(1).wsURL(), tokA), dial(t, h.node(2).wsURL(), tokB), dial(t, h.node(0).wsURL(), tokC)}
	for _, c := range cs {
		c.hello(t, protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
		expectType[protocol.Subscribed](t, c)
	}
	for i, c := range cs {
		a := protocol.Action{Op: fmt.Sprintf("hello-%d", i), Feed: "main", Text: fmt.Sprintf("hello from client %d", i)}
		if err := c.send(a.WithKind(protocol.TypePost)); err != nil {
			t.Fatal(err)
		}
	}
	var seen [3][]protocol.Event
	for i, c := range cs {
		for len(seen[i]) < 3 {
			if e, ok := any(expectType[protocol.Message](t, c)).(protocol.Event); ok {
				seen[i] = append(seen[i], e)
			}
		}
	}
	want := feedEvents(t, h.node(0).Log, "main")
	for i := range cs {
		checkChain(t, fmt.Sprintf("client %d", i), seen[i], want)
	}

	// Latency: writers on node 1 (several users, to stay under the
	// per-user action rate), a reader on node 1 and one on each
	// other node; each event's delay from the writer's send to the
	// reader's receipt.
	const posts = 200
	var writers []*client
	for i := 0; i < 8; i++ {
		tok, _ := signIn(t, h.node(0), fmt.Sprint("Writer ", i))
		w := dial(t, h.node(0).wsURL(), tok)
		w.hello(t)
		writers = append(writers, w)
	}
	readers := make([]*client, 3)
	for i := range readers {
		readers[i] = dial(t, h.node(i).wsURL(), tokB)
		readers[i].hello(t, protocol.Sub{Feed: "lat", Mode: protocol.ModeLive})
		expectType[protocol.Subscribed](t, readers[i])
	}
	sent := make([]time.Time, posts)
	var sentMu sync.Mutex
	arrivals := make([][]time.Duration, len(readers))
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var prev uint64
			for n := 0; n < posts; {
				s, err := r.next(20 * time.Second)
				if err != nil {
					t.Errorf("reader %d: %v", i, err)
					return
				}
				e, ok := s.m.(protocol.Event)
				if !ok {
					continue
				}
				if e.Prev != prev && prev != 0 {
					t.Errorf("reader %d: event %d prev %d after %d", i, e.Pos, e.Prev, prev)
				}
				prev = e.Pos
				var k int
				fmt.Sscanf(e.Op, "lat-%d", &k)
				sentMu.Lock()
				arrivals[i] = append(arrivals[i], s.at.Sub(sent[k]))
				sentMu.Unlock()
				n++
			}
		}()
	}
	var acks []time.Duration
	for k := 0; k < posts; k++ {
		w := writers[k%len(writers)]
		a := protocol.Action{Op: fmt.Sprintf("lat-%d", k), Feed: "lat", Text: fmt.Sprintf("latency probe %d", k)}
		sentMu.Lock()
		sent[k] = time.Now()
		sentMu.Unlock()
		if err := w.send(a.WithKind(protocol.TypePost)); err != nil {
			t.Fatal(err)
		}
		ack := expectType[protocol.Ack](t, w)
		acks = append(acks, time.Since(sent[k]))
		if ack.Op != a.Op {
			t.Fatalf("ack for %s, want %s", ack.Op, a.Op)
		}
	}
	wg.Wait()
	t.Logf("%d posts, writer on node-1 (R3 stream, NATS sync always, -race=%v):", posts, raceEnabled)
	t.Logf("  ack (send -> ack):              median %s  p99 %s", ms(percentile(acks, 50)), ms(percentile(acks, 99)))
	for i := range readers {
		where := "across nodes"
		if i == 0 {
			where = "within node"
		}
		t.Logf("  delivery to node-%d (%s): median %s  p99 %s", i+1, where, ms(percentile(arrivals[i], 50)), ms(percentile(arrivals[i], 99)))
	}
}

// TestClientFailsOverToAnotherNode: a client (app/session behind a load
// balancer) whose node stops (gracefully or by crashing) resumes on another
// node with every event exactly once; a writer whose node crashes resends
// its unacknowledged posts to another node and each is stored once.
func TestClientFailsOverToAnotherNode(t *testing.T) {
	h := newHarness(t, 3)
	readerLB := newBalancer(t, h, 0, 1, 2)
	writerLB := newBalancer(t, h, 2, 1, 0)
	tokR, _ := signIn(t, h.node(0), "Reader")
	tokW, _ := signIn(t, h.node(1), "Writer")
	const feedName = "failover"
	reader, rrec := startSession(t, readerLB.url(), tokR, feedName)
	writer, _ := startSession(t, writerLB.url(), tokW, feedName)
	wait.Until(t, 10*time.Second, "both sessions live", func() bool {
		return reader.Status().State == session.StateLive && writer.Status().State == session.StateLive
	})
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if f := os.Getenv("LIVEFEED_CLUSTER_STACKS"); f != "" {
			buf := make([]byte, 16<<20)
			os.WriteFile(f, buf[:runtime.Stack(buf, true)], 0o644)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, n := range h.nodesSnapshot() {
			_, last, err := n.Log.Bounds(ctx)
			t.Logf("%s down=%v applied=%d log last=%d (%v) conns=%d", n.name, n.down.Load(), n.Service.View().Applied(), last, err, n.Gateway.Conns())
		}
		t.Logf("reader %+v feed pos %d on %s", reader.Status(), reader.Feed(feedName).Pos, readerLB.current().name)
		t.Logf("writer %+v pending %d on %s", writer.Status(), len(writer.Pending()), writerLB.current().name)
	})

	// The writer posts about 10 a second (under the per-connection action
	// rate) until told to stop.
	stop := make(chan struct{})
	posted := make(chan []string, 1)
	go func() {
		var texts []string
		defer func() { posted <- texts }()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			text := fmt.Sprintf("post %d", i)
			if _, err := writer.Post(feedName, text); err != nil {
				t.Errorf("post: %v", err)
				return
			}
			texts = append(texts, text)
		}
	}()

	const rounds = 10
	var failover, firstEvent, graceful, crash []time.Duration
	for round := 0; round < rounds; round++ {
		victim := readerLB.current()
		idx := slices.Index(h.nodesSnapshot(), victim)
		// Wait until the reader is live and events flow on this node.
		events, welcomes := rrec.snapshot()
		wait.Until(t, 10*time.Second, "the reader to receive events", func() bool {
			e, _ := rrec.snapshot()
			return reader.Status().State == session.StateLive && len(e) > len(events)+2
		})
		_, welcomes = rrec.snapshot()
		kind := "crash"
		start := time.Now()
		if round%2 == 1 {
			kind = "stop"
			readerLB.setDraining(victim)
			go h.stopNode(victim)
		} else {
			h.crashNode(victim)
		}
		wait.Until(t, 15*time.Second, "the reader to be live on another node", func() bool {
			_, w := rrec.snapshot()
			return len(w) > len(welcomes)
		})
		_, w := rrec.snapshot()
		live := w[len(welcomes)].Sub(start)
		failover = append(failover, live)
		if kind == "stop" {
			graceful = append(graceful, live)
		} else {
			crash = append(crash, live)
		}
		// The first event applied after the new welcome.
		var first time.Duration
		wait.Until(t, 10*time.Second, "a live event on the new node", func() bool {
			rrec.mu.Lock()
			defer rrec.mu.Unlock()
			for i := len(rrec.applied) - 1; i >= 0 && rrec.applied[i].After(w[len(welcomes)]); i-- {
				first = rrec.applied[i].Sub(start)
			}
			return first > 0
		})
		firstEvent = append(firstEvent, first)
		if now := readerLB.current(); now == victim {
			t.Fatalf("round %d: the reader is still on %s", round, victim.name)
		}
		t.Logf("round %d: %s of %s: reader live on %s after %s, first event after %s", round, kind, victim.name, readerLB.current().name, ms(live), ms(first))
		// Wait for the stop to finish, then replace the node.
		rs := time.Now()
		h.restartNode(idx)
		t.Logf("  replacement node started in %s; reader catch-up took %s", ms(time.Since(rs)), ms(reader.Status().Stats.LastCatchUp))
	}

	// Finally the writer's own node crashes with posts in flight.
	wnode := writerLB.current()
	wevents, _ := rrec.snapshot()
	h.crashNode(wnode)
	wait.Until(t, 15*time.Second, "posts after the writer's failover", func() bool {
		e, _ := rrec.snapshot()
		return len(e) > len(wevents)+5
	})
	close(stop)
	texts := <-posted
	wait.Until(t, 20*time.Second, "the writer's outbox to drain", func() bool { return len(writer.Pending()) == 0 })
	if r := writer.Rejected(); len(r) != 0 {
		t.Fatalf("rejected: %+v", r)
	}
	last := h.waitConverged()
	_ = last
	want := feedEvents(t, h.live()[0].Log, feedName)
	wait.Until(t, 20*time.Second, "the reader to catch up", func() bool {
		return reader.Feed(feedName).Pos == want[len(want)-1].Pos
	})
	got, _ := rrec.snapshot()
	checkChain(t, "reader", got, want)
	// Every post the writer made is stored exactly once.
	count := map[string]int{}
	for _, e := range want {
		count[e.Text]++
	}
	for _, text := range texts {
		if count[text] != 1 {
			t.Errorf("%q stored %d times", text, count[text])
		}
	}
	if len(want) != len(texts) {
		t.Errorf("log holds %d posts, the writer made %d", len(want), len(texts))
	}
	h.checkViewsEqual()
	rs, ws := reader.Status().Stats, writer.Status().Stats
	t.Logf("reader: %d events exactly once over %d connections (stats %+v)", len(got), rs.Connects, rs)
	t.Logf("writer: %d posts each stored once over %d connections", len(texts), ws.Connects)
	t.Logf("failover (node down -> reader live on another node), %d rounds: median %s (crash: median %s, max %s; graceful stop, restart window %v: median %s, max %s)",
		rounds, ms(percentile(failover, 50)), ms(percentile(crash, 50)), ms(percentile(crash, 100)), testRestartWindow, ms(percentile(graceful, 50)), ms(percentile(graceful, 100)))
	t.Logf("node down -> first live event applied on the new node: median %s", ms(percentile(firstEvent, 50)))
	if rs.Gaps != 0 {
		t.Errorf("the reader saw %d gaps", rs.Gaps)
	}
}

// nodesSnapshot returns the current nodes.
func (h *harness) nodesSnapshot() []*lfNode {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.nodes)
}

// writerResult is one acknowledged post.
type writerResult struct {
	op      string
	pos     uint64
	sent    time.Time // first send
	acked   time.Time
	retries int
}

// writeLoop posts n posts through c, one at a time at about rate per
// second, resending the same op after a temporary error as a client must.
func writeLoop(t *testing.T, c *client, prefix string, n int, every time.Duration) ([]writerResult, int) {
	var out []writerResult
	temp := 0
	for i := 0; i < n; i++ {
		time.Sleep(every)
		op := fmt.Sprintf("%s-%d", prefix, i)
		a := protocol.Action{Op: op, Feed: "main", Text: "text " + op}.WithKind(protocol.TypePost)
		r := writerResult{op: op, sent: time.Now()}
	send:
		for {
			if err := c.send(a); err != nil {
				t.Errorf("%s: send: %v", op, err)
				return out, temp
			}
			for {
				s, err := c.next(30 * time.Second)
				if err != nil {
					t.Errorf("%s: %v", op, err)
					return out, temp
				}
				switch m := s.m.(type) {
				case protocol.Ack:
					if m.Op == op {
						r.pos, r.acked = m.Pos, s.at
						break send
					}
				case *protocol.Error:
					if m.Op != op {
						continue
					}
					if !m.Temporary {
						t.Errorf("%s rejected: %v", op, m)
						return out, temp
					}
					temp++
					r.retries++
					wait := 100 * time.Millisecond
					if m.RetryAfterMS > 0 {
						wait = time.Duration(m.RetryAfterMS) * time.Millisecond
					}
					time.Sleep(wait)
					continue send
				}
			}
		}
		out = append(out, r)
	}
	return out, temp
}

// TestNATSServerStopsMidStream: three writers (one per Livefeed node) post
// while the NATS server leading the stream is stopped: posting and delivery
// continue, and every acknowledged post is in the log exactly once,
// delivered exactly once, on every node.
func TestNATSServerStopsMidStream(t *testing.T) {
	h := newHarness(t, 3)
	tok, _ := signIn(t, h.node(0), "Writer")
	tokR, _ := signIn(t, h.node(0), "Reader")
	leader := h.nats.StreamLeader(eventlog.DefaultStream)
	if leader < 0 {
		t.Fatal("no stream leader")
	}
	// The reader is on a node whose NATS server stays up; a raw client
	// on the leader's node checks delivery through a node that must
	// reconnect to NATS.
	reader, rrec := startSession(t, h.node((leader+1)%3).wsURL(), tokR, "main")
	wait.Until(t, 10*time.Second, "the reader live", func() bool { return reader.Status().State == session.StateLive })
	raw := dial(t, h.node(leader).wsURL(), tokR)
	raw.hello(t, protocol.Sub{Feed: "main", Mode: protocol.ModeSnapshot})
	expectType[protocol.Snapshot](t, raw)

	const perWriter = 60
	type res struct {
		rs   []writerResult
		temp int
	}
	results := make([]res, 3)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		c := dial(t, h.node(i).wsURL(), tok)
		c.hello(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, temp := writeLoop(t, c, fmt.Sprintf("w%d", i), perWriter, 50*time.Millisecond)
			results[i] = res{rs, temp}
		}()
	}
	// The raw reader collects every event as it arrives.
	rawEvents := make(chan []protocol.Event, 1)
	go func() {
		var evs []protocol.Event
		defer func() { rawEvents <- evs }()
		for len(evs) < 3*perWriter {
			s, err := raw.next(30 * time.Second)
			if err != nil {
				t.Errorf("raw reader on %s: %v", h.node(leader).name, err)
				return
			}
			if e, ok := s.m.(protocol.Event); ok {
				evs = append(evs, e)
			}
		}
	}()
	wait.Until(t, 20*time.Second, "a third of the posts", func() bool {
		e, _ := rrec.snapshot()
		return len(e) >= perWriter
	})
	stopped := time.Now()
	h.nats.Stop(leader)
	stopTook := time.Since(stopped)
	wg.Wait()
	newLeader := h.nats.StreamLeader(eventlog.DefaultStream)

	// Every acknowledged post is in the log exactly once, and nothing
	// else is.
	acked := map[string]uint64{}
	var lat, after []time.Duration
	var firstAfter time.Time
	var maxGap time.Duration
	temp := 0
	var acks []time.Time
	for _, r := range results {
		temp += r.temp
		for _, w := range r.rs {
			acked[w.op] = w.pos
			lat = append(lat, w.acked.Sub(w.sent))
			acks = append(acks, w.acked)
			if w.sent.After(stopped) {
				after = append(after, w.acked.Sub(w.sent))
				if firstAfter.IsZero() || w.acked.Before(firstAfter) {
					firstAfter = w.acked
				}
			}
		}
	}
	slices.SortFunc(acks, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(acks); i++ {
		maxGap = max(maxGap, acks[i].Sub(acks[i-1]))
	}
	if len(acked) != 3*perWriter {
		t.Fatalf("%d posts acknowledged, want %d", len(acked), 3*perWriter)
	}
	h.waitConverged()
	want := feedEvents(t, h.live()[0].Log, "main")
	seen := map[string]int{}
	for _, e := range want {
		seen[e.Op]++
		if p, ok := acked[e.Op]; !ok || p != e.Pos {
			t.Errorf("log has %s at %d; acknowledged at %d (%v)", e.Op, e.Pos, p, ok)
		}
	}
	for op := range acked {
		if seen[op] != 1 {
			t.Errorf("%s is in the log %d times", op, seen[op])
		}
	}
	wait.Until(t, 20*time.Second, "the reader to catch up", func() bool {
		return reader.Feed("main").Pos == want[len(want)-1].Pos
	})
	got, _ := rrec.snapshot()
	checkChain(t, "reader session", got, want)
	checkChain(t, "raw reader on the stopped server's node", <-rawEvents, want)
	h.checkViewsEqual()

	t.Logf("stopped NATS server nats-%d (stream leader; the shutdown took %s); new stream leader nats-%d", leader+1, ms(stopTook), newLeader+1)
	for i, r := range results {
		var worst writerResult
		for _, w := range r.rs {
			if w.acked.Sub(w.sent) > worst.acked.Sub(worst.sent) {
				worst = w
			}
		}
		t.Logf("  writer on node-%d: slowest ack %s (sent %s after the stop)", i+1, ms(worst.acked.Sub(worst.sent)), ms(worst.sent.Sub(stopped)))
	}
	t.Logf("%d posts acked, each once in the log and delivered once; %d temporary errors (resent)", len(acked), temp)
	t.Logf("ack latency overall: median %s p99 %s max %s; longest pause between acks %s", ms(percentile(lat, 50)), ms(percentile(lat, 99)), ms(percentile(lat, 100)), ms(maxGap))
	if !firstAfter.IsZero() {
		t.Logf("posts sent after the stop: median %s p99 %s; first ack %s after the stop", ms(percentile(after, 50)), ms(percentile(after, 99)), ms(firstAfter.Sub(stopped)))
	}

	// The server comes back and catches up; the cluster keeps working.
	if err := h.nats.Start(leader); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	if err := h.nats.WaitReady(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("nats-%d back and current after %s", leader+1, ms(time.Since(back)))
	c := dial(t, h.node(leader).wsURL(), tok)
	c.hello(t)
	rs, _ := writeLoop(t, c, "after", 1, 0)
	if len(rs) != 1 {
		t.Fatal("no ack after the restart")
	}
	h.waitConverged()
	h.checkViewsEqual()
}

// do runs an action on a node's service directly (as its gateway would),
// resending the same op after a temporary error.
func do(ctx context.Context, n *lfNode, u protocol.User, kind string, a protocol.Action) (protocol.Ack, *protocol.Error) {
	for i := 0; ; i++ {
		ack, err := n.Service.Do(ctx, u, a.WithKind(kind))
		if err == nil {
			return ack, nil
		}
		var pe *protocol.Error
		if !errors.As(err, &pe) {
			pe = protocol.Errorf(protocol.CodeInternal, "%v", err)
			pe.Temporary = true
		}
		if !pe.Temporary || i == 50 {
			return ack, pe
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRacingWritesConverge: edits, deletes and reactions on the same posts
// race on different nodes. Each is validated on its node against its view;
// the log decides the order (optimistic concurrency per feed), losers are
// validated again; every node, and a node started afterwards from the log,
// ends with the same view, and every outcome agrees with the log order.
func TestRacingWritesConverge(t *testing.T) {
	h := newHarness(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ada := protocol.User{ID: "u-ada", Name: "Ada"}
	bob := protocol.User{ID: "u-bob", Name: "Bob"}
	const rounds = 20
	type outcome struct {
		op  string
		ack protocol.Ack
		err *protocol.Error
	}
	var all []outcome
	for k := 0; k < rounds; k++ {
		post, perr := do(ctx, h.node(k%3), ada, protocol.TypePost, protocol.Action{Op: fmt.Sprintf("post-%d", k), Feed: "race", Text: fmt.Sprintf("post %d", k)})
		if perr != nil {
			t.Fatal(perr)
		}
		for _, n := range h.live() {
			n.Service.WaitApplied(ctx, post.Pos)
		}
		id := post.ID
		type job struct {
			n    int
			u    protocol.User
			kind string
			a    protocol.Action
		}
		jobs := []job{
			{0, ada, protocol.TypeEdit, protocol.Action{Text: fmt.Sprintf("edit A of %d", k)}},
			{1, ada, protocol.TypeEdit, protocol.Action{Text: fmt.Sprintf("edit B of %d", k)}},
			{2, bob, protocol.TypeReact, protocol.Action{Emoji: "👍"}},
			{0, bob, protocol.TypeReact, protocol.Action{Emoji: "👍"}},
			{1, bob, protocol.TypeReact, protocol.Action{Emoji: "🎉"}},
		}
		if k%2 == 0 {
			jobs = append(jobs, job{2, ada, protocol.TypeDelete, protocol.Action{}})
		}
		out := make([]outcome, len(jobs))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for j, jb := range jobs {
			jb.a.Op, jb.a.Feed, jb.a.ID = fmt.Sprintf("r%d-%d-%s", k, j, jb.kind), "race", id
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ack, err := do(ctx, h.node(jb.n), jb.u, jb.kind, jb.a)
				out[j] = outcome{jb.a.Op, ack, err}
			}()
		}
		close(start)
		wg.Wait()
		all = append(all, out...)
	}
	h.waitConverged()
	h.checkViewsEqual()
	// A node started now rebuilds the same view from the log.
	fresh := h.startNode(3)
	defer h.stopNode(fresh)
	if !fresh.Service.View().Equal(h.node(0).Service.View()) {
		t.Fatal("a node started afterwards has another view")
	}

	// Every outcome agrees with the log order: an acknowledged action is
	// in the log once; a refused one (not_found: the post was deleted
	// first) is not; nothing follows a post's deletion.
	evs := feedEvents(t, h.node(0).Log, "race")
	inLog := map[string]protocol.Event{}
	deleted := map[string]bool{}
	reacted := map[string]bool{} // post+user+emoji -> on
	for _, e := range evs {
		if _, dup := inLog[e.Op]; dup {
			t.Fatalf("op %s twice in the log", e.Op)
		}
		inLog[e.Op] = e
		if deleted[e.ID] {
			t.Fatalf("%s %s after the post was deleted", e.Kind, e.ID)
		}
		switch e.Kind {
		case protocol.KindDelete:
			deleted[e.ID] = true
		case protocol.KindReact:
			key := e.ID + e.Author.ID + e.Emoji
			if e.On == reacted[key] {
				t.Fatalf("reaction %s on=%v twice in a row: not validated against the latest view", key, e.On)
			}
			reacted[key] = e.On
		}
	}
	refused := 0
	for _, o := range all {
		e, ok := inLog[o.op]
		switch {
		case o.err == nil && (!ok || e.Pos != o.ack.Pos):
			t.Errorf("%s acknowledged at %d but the log has %+v", o.op, o.ack.Pos, e)
		case o.err != nil && o.err.Code != protocol.CodeNotFound:
			t.Errorf("%s: unexpected error %v", o.op, o.err)
		case o.err != nil && ok:
			t.Errorf("%s refused (%v) but in the log", o.op, o.err)
		case o.err != nil:
			refused++
		}
	}
	snap := h.node(1).Service.View().Snapshot("race")
	var conflicts int64
	for _, n := range h.live() {
		conflicts += n.Service.Stats.Conflicts.Load()
	}
	t.Logf("%d racing actions on %d posts: %d in the log, %d refused after losing to a delete; %d append conflicts resolved by re-validation; %d posts left",
		len(all), rounds, len(evs)-rounds, refused, conflicts, len(snap.Posts))
}

// TestPresenceAcrossNodes: users on different nodes see each other online;
// a user whose node dies drops out within hub.PresenceDropAfter; one whose
// node stops cleanly drops out at the next announcement.
func TestPresenceAcrossNodes(t *testing.T) {
	h := newHarness(t, 3)
	names := []string{"Ada", "Bob", "Cyd"}
	cs := make([]*client, 3)
	for i, name := range names {
		tok, _ := signIn(t, h.node(i), name)
		lb := newBalancer(t, h, i)
		cs[i] = dial(t, lb.url(), tok)
	}
	start := time.Now()
	for _, c := range cs {
		if err := c.send(protocol.Hello{Client: "presence", Subs: []protocol.Sub{{Feed: "main", Mode: protocol.ModeLive}}}); err != nil {
			t.Fatal(err)
		}
	}
	// waitOnline reads c's messages until its latest presence is want and
	// returns when that presence arrived.
	waitOnline := func(c *client, want []string, timeout time.Duration) time.Time {
		t.Helper()
		deadline := time.Now().Add(timeout)
		var last []string
		for {
			s, err := c.next(time.Until(deadline))
			if err != nil {
				t.Fatalf("waiting for %v online (last %v): %v", want, last, err)
			}
			if p, ok := s.m.(protocol.Presence); ok {
				last = last[:0]
				for _, u := range p.Online {
					last = append(last, u.Name)
				}
				if slices.Equal(last, want) {
					return s.at
				}
			}
		}
	}
	for i, c := range cs {
		at := waitOnline(c, names, 10*time.Second)
		t.Logf("%s (node-%d) sees all three online %s after the hellos", names[i], i+1, ms(at.Sub(start)))
	}
	// Ada's node dies: no goodbye reaches the others.
	crashed := time.Now()
	h.crashNode(h.node(0))
	for i := 1; i < 3; i++ {
		d := waitOnline(cs[i], names[1:], hub.PresenceDropAfter+5*time.Second).Sub(crashed)
		t.Logf("Ada's node crashed: %s (node-%d) sees her gone after %s (documented bound hub.PresenceDropAfter = %v)", names[i], i+1, ms(d), hub.PresenceDropAfter)
		if d > hub.PresenceDropAfter+time.Second {
			t.Errorf("Ada dropped out after %v, documented bound %v", d, hub.PresenceDropAfter)
		}
	}
	// Cyd's node stops cleanly and says goodbye.
	stopped := time.Now()
	go h.stopNode(h.node(2))
	d := waitOnline(cs[1], names[1:2], hub.PresenceExpiry).Sub(stopped)
	t.Logf("Cyd's node stopped cleanly: Bob sees him gone after %s", ms(d))
}
