package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"livefeed/server/eventlog"
	"livefeed/server/hub"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// stuckSink is a subscriber of the hub whose Deliver blocks until gate is
// closed: it holds its feed's fan-out in the middle of a pass, so that
// the feed's events pile up past hub.MaxFanoutWindow.
type stuckSink struct {
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (s *stuckSink) Deliver(*hub.Frames) {
	s.once.Do(func() { close(s.entered) })
	<-s.gate
}

func (s *stuckSink) DeliverPresence([]byte) {}

// TestFanoutOverflowResyncsOnTheSameConnection: a feed's events arrive
// while its fan-out cannot deliver them (a pass held up), three windows'
// worth. The fan-out drops what it cannot hold; the subscriber then gets
// every event anyway, once and in order, caught up from the feed service
// on the same connection, followed by a second subscribed.
func TestFanoutOverflowResyncsOnTheSameConnection(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.Sync = eventlog.SyncPeriodic })
	tok, u := tn.SignIn(t, "Ada")
	c := testnode.Dial(t, tn, tok)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](c)

	var (
		mu         sync.Mutex
		events     []protocol.Event
		subscribed int
		readErr    error
	)
	go func() {
		for {
			_, b, err := c.WS.Read(context.Background())
			if err != nil {
				mu.Lock()
				readErr = err
				mu.Unlock()
				return
			}
			m, err := protocol.Decode(b)
			mu.Lock()
			switch m := m.(type) {
			case protocol.Event:
				events = append(events, m)
			case protocol.Subscribed:
				subscribed++
			}
			mu.Unlock()
		}
	}()

	stuck := &stuckSink{gate: make(chan struct{}), entered: make(chan struct{})}
	var release sync.Once
	open := func() { release.Do(func() { close(stuck.gate) }) }
	t.Cleanup(open)
	tn.Hub.Join("main", stuck, protocol.User{ID: "u-stuck", Name: "Stuck"})

	// Each post's event is its 4,000 bytes of text and some 200 more;
	// 3 windows' worth of them.
	text := strings.Repeat("ä", protocol.MaxTextChars)
	size := len(text) + 200
	n := 1 + 3*hub.MaxFanoutWindow/size
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	post := func(i int) {
		a := protocol.Action{Op: fmt.Sprint("o", i), Feed: "main", Text: text}.WithKind(protocol.TypePost)
		if _, err := tn.Service.Do(ctx, u, a); err != nil {
			t.Fatalf("post %d of %d: %v (the log follower waits for the stuck feed?)", i, n, err)
		}
	}
	post(0)
	select {
	case <-stuck.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the fan-out never reached the stuck subscriber")
	}
	start := time.Now()
	for i := 1; i < n; i++ {
		post(i)
	}
	posting := time.Since(start)
	if tn.Hub.Overflows() == 0 {
		t.Fatalf("%d events of about %d bytes did not overflow the %d-byte window", n, size, hub.MaxFanoutWindow)
	}

	open()
	start = time.Now()
	wait.For(t, 30*time.Second, wait.Poll, func() error {
		mu.Lock()
		defer mu.Unlock()
		if readErr != nil {
			return fmt.Errorf("the connection ended after %d of %d events: %v", len(events), n, readErr)
		}
		if len(events) < n || subscribed < 1 {
			return fmt.Errorf("%d of %d events, %d more subscribed", len(events), n, subscribed)
		}
		return nil
	})
	caughtUp := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	var prev uint64
	for i, e := range events {
		if e.Prev != prev || e.Pos <= prev {
			t.Fatalf("event %d: pos %d prev %d after %d: not in order, once", i, e.Pos, e.Prev, prev)
		}
		prev = e.Pos
	}
	if len(events) != n || subscribed != 1 {
		t.Fatalf("%d events (want %d), %d more subscribed (want 1)", len(events), n, subscribed)
	}
	if cut := tn.Gateway.Stats.SlowConsumers.Load(); cut != 0 {
		t.Fatalf("%d connections cut", cut)
	}
	t.Logf("%d events of about %d bytes posted in %v while the fan-out was held (%d overflows); all delivered %v after it went on",
		n, size, posting.Round(time.Millisecond), tn.Hub.Overflows(), caughtUp.Round(time.Millisecond))
}
