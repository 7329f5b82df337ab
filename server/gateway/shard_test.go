//go:build linux

package gateway

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"livefeed/server/eventlog"
	"livefeed/server/feed"
	"livefeed/server/hub"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

// shardClient is the client end of one connection: it reads every frame
// and checks that the feed's events come once and in order (each names
// the previous one as its prev).
type shardClient struct {
	mu   sync.Mutex
	last uint64 // the position of the last event read
	n    int    // events read
	bad  error
}

func (sc *shardClient) read(nc net.Conn) {
	br := bufio.NewReader(nc)
	var env struct {
		Type string `json:"type"`
		Data struct {
			Feed string `json:"feed"`
			Pos  uint64 `json:"pos"`
			Prev uint64 `json:"prev"`
		} `json:"data"`
	}
	for {
		p, err := readServerFrame(br)
		if err != nil {
			return
		}
		if p == nil || json.Unmarshal(p, &env) != nil || env.Type != protocol.TypeEvent {
			continue // a control frame, subscribed, presence
		}
		sc.mu.Lock()
		if env.Data.Prev != sc.last && sc.bad == nil {
			sc.bad = fmt.Errorf("event %d names %d as its prev after event %d", env.Data.Pos, env.Data.Prev, sc.last)
		}
		sc.last = env.Data.Pos
		sc.n++
		sc.mu.Unlock()
	}
}

// readServerFrame returns the payload of the next (unmasked) frame, nil
// for a control frame.
func readServerFrame(br *bufio.Reader) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(br, e[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(br, e[:]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint64(e[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return nil, err
	}
	if h[0]&0x0f != 1 {
		return nil, nil
	}
	return p, nil
}

// TestShardedFeedOverSockets: connections to one feed, two shards' worth
// and more, subscribe (catching up from the feed service) while posts are
// made, and some unsubscribe and subscribe again from where they were,
// also while posts are made: every client's socket carries every event of
// the feed once and in order, up to the last post.
func TestShardedFeedOverSockets(t *testing.T) {
	const (
		conns  = 2*hub.ShardSize + 64
		posts  = 40
		churns = 200
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New()
	svc, err := feed.Open(ctx, eventlog.NewMemory(), h, feed.Config{Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	go svc.Run(ctx)
	g := New(Config{Service: svc, Hub: h, Logger: lg, HeartbeatInterval: time.Hour})

	cs := make([]*conn, conns)
	clients := make([]*shardClient, conns)
	defer func() {
		for _, c := range cs {
			if c != nil {
				c.mu.Lock()
				for f, s := range c.subs {
					h.Leave(f, s)
					s.leave()
				}
				c.mu.Unlock()
				c.cancel()
				c.stopWatchCtx()
			}
		}
	}()
	for i, p := range tcpPairs(t, conns) {
		client, server := p[0], p[1]
		clients[i] = &shardClient{}
		go clients[i].read(client)
		cs[i] = newConn(g, nil, newSock(server), protocol.User{ID: fmt.Sprint("u", i), Name: "n"}, "", "127.0.0.1")
	}
	subscribe := func(c *conn, from uint64) {
		if err := c.subscribe(protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: from}); err != nil {
			t.Errorf("subscribe: %v", err)
		}
	}
	// unsubscribe is read.go's Unsubscribe, once the subscription has
	// caught up; it returns the position the client will have read last,
	// once what was sent has arrived (where a client resumes from).
	unsubscribe := func(c *conn) uint64 {
		c.mu.Lock()
		s := c.subs["main"]
		c.mu.Unlock()
		for caught := false; !caught; time.Sleep(time.Millisecond) {
			s.mu.Lock()
			caught = !s.catching
			s.mu.Unlock()
		}
		c.mu.Lock()
		delete(c.subs, "main")
		c.mu.Unlock()
		h.Leave("main", s)
		s.leave()
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.last
	}

	var last uint64
	post := func(i int) {
		ack, err := svc.Do(ctx, protocol.User{ID: "author", Name: "Ada"}, protocol.Action{Op: fmt.Sprint("op", i), Feed: "main", Text: fmt.Sprint("post ", i)}.WithKind(protocol.TypePost))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Pos
	}
	post(0)
	// Half subscribe before the posts, half while they are made; then
	// some leave and come back from where they were.
	for _, c := range cs[:conns/2] {
		subscribe(c, 0)
	}
	var churn sync.WaitGroup
	churn.Add(1)
	go func() {
		defer churn.Done()
		for _, c := range cs[conns/2:] {
			subscribe(c, 0)
		}
		for _, k := range rand.Perm(conns)[:churns] {
			subscribe(cs[k], unsubscribe(cs[k]))
		}
	}()
	for i := 1; i <= posts; i++ {
		post(i)
	}
	churn.Wait()
	h.Wait()
	wait.For(t, 60*time.Second, 10*time.Millisecond, func() error {
		behind := 0
		for _, sc := range clients {
			sc.mu.Lock()
			if sc.bad != nil {
				err := sc.bad
				sc.mu.Unlock()
				return err
			}
			if sc.last != last {
				behind++
			}
			sc.mu.Unlock()
		}
		if behind > 0 {
			return fmt.Errorf("%d of %d clients have not read event %d yet", behind, conns, last)
		}
		return nil
	})
	for i, sc := range clients {
		if sc.bad != nil {
			t.Fatalf("client %d: %v", i, sc.bad)
		}
	}
	if n := g.Stats.SlowConsumers.Load(); n > 0 {
		t.Fatalf("%d slow-consumer cuts", n)
	}
}

// tcpPairs returns n loopback TCP connections, each as its client end and
// its server end (with the gateway's default send buffer, as the upgrade
// sets it in accept.go), closed when the test ends.
func tcpPairs(tb testing.TB, n int) [][2]net.Conn {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	pairs := make([][2]net.Conn, 0, n)
	tb.Cleanup(func() {
		for _, p := range pairs {
			p[0].Close()
			p[1].Close()
		}
	})
	for range n {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			tb.Fatal(err)
		}
		server, err := ln.Accept()
		if err != nil {
			client.Close()
			tb.Fatal(err)
		}
		server.(*net.TCPConn).SetWriteBuffer(DefaultSocketSendBuffer)
		pairs = append(pairs, [2]net.Conn{client, server})
	}
	return pairs
}
