package session

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// fakeEnd is the other end of the session's fake transports: the test
// reads what the session wrote and says what the server sends.
type fakeEnd struct {
	t     *testing.T
	mu    sync.Mutex
	fail  error          // dials fail with it while set
	dials int            // dials attempted
	conns chan *fakeConn // each dial that succeeded
	user  protocol.User
}

type fakeConn struct {
	toClient chan []byte
	toServer chan protocol.Message
	closed   chan struct{}
	once     sync.Once
}

func (c *fakeConn) Read(ctx context.Context) ([]byte, error) {
	select {
	case b := <-c.toClient:
		return b, nil
	case <-c.closed:
		return nil, errors.New("fake: closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *fakeConn) Write(ctx context.Context, b []byte) error {
	m, err := protocol.Decode(b)
	if err != nil {
		return err
	}
	select {
	case c.toServer <- m:
		return nil
	case <-c.closed:
		return errors.New("fake: closed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *fakeConn) Close(int, string) { c.once.Do(func() { close(c.closed) }) }

// send is the server sending m.
func (c *fakeConn) send(m protocol.Message) { c.toClient <- protocol.MustEncode(m) }

// next is the next message the session sent.
func (c *fakeConn) next(t *testing.T) protocol.Message {
	t.Helper()
	select {
	case m := <-c.toServer:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the session sent nothing")
		return nil
	}
}

// nextAction skips heartbeats.
func (c *fakeConn) nextAction(t *testing.T) protocol.Message {
	t.Helper()
	for {
		if m := c.next(t); m.MsgType() != protocol.TypeHeartbeat {
			return m
		}
	}
}

func newFakeEnd(t *testing.T) *fakeEnd {
	return &fakeEnd{t: t, conns: make(chan *fakeConn, 8), user: protocol.User{ID: "u1", Name: "Ann"}}
}

func (f *fakeEnd) dial(ctx context.Context) (transport, error) {
	f.mu.Lock()
	f.dials++
	err := f.fail
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c := &fakeConn{toClient: make(chan []byte, 64), toServer: make(chan protocol.Message, 64), closed: make(chan struct{})}
	f.conns <- c
	return c, nil
}

// accept waits for the session's next connection and answers its hello
// with a welcome; it returns the connection and the hello.
func (f *fakeEnd) accept() (*fakeConn, protocol.Hello) {
	f.t.Helper()
	var c *fakeConn
	select {
	case c = <-f.conns:
	case <-time.After(10 * time.Second):
		f.t.Fatal("the session did not connect")
	}
	h, ok := c.next(f.t).(protocol.Hello)
	if !ok {
		f.t.Fatal("the first message was not hello")
	}
	c.send(protocol.Welcome{Version: protocol.Version, User: f.user, HeartbeatMS: 10_000})
	return c, h
}

// running starts a session on the fake server until the test ends.
func runningOn(t *testing.T, f *fakeEnd, feeds ...string) *Session {
	s := New(Config{Feeds: feeds, Backoff: Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}})
	s.dial = f.dial
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func waitState(t *testing.T, s *Session, want State) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Status().State != want {
		if time.Now().After(deadline) {
			t.Fatalf("state %s, want %s", s.Status().State, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOutboxLeavesOnItsEventOnce: an action written offline goes out on
// the connection, stays while only acknowledged, leaves when the feed
// applies its event; a reconnect between ack and event resends nothing
// acknowledged.
func TestOutboxLeavesOnItsEventOnce(t *testing.T) {
	f := newFakeEnd(t)
	f.fail = errors.New("offline")
	s := runningOn(t, f, "main")
	waitState(t, s, StateReconnecting)
	op, err := s.Post("main", "  hello  ")
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Pending(); len(p) != 1 || p[0].Action.Text != "hello" {
		t.Fatalf("outbox %+v", p)
	}

	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	c, hello := f.accept()
	if len(hello.Subs) != 1 || hello.Subs[0].Feed != "main" || hello.Subs[0].Mode != protocol.ModeSnapshot {
		t.Fatalf("hello %+v", hello)
	}
	c.send(protocol.Snapshot{Feed: "main", Pos: 7, Posts: []protocol.Post{}})
	c.send(protocol.Subscribed{Feed: "main", Pos: 7})
	a, ok := c.nextAction(t).(protocol.Action)
	if !ok || a.Op != op {
		t.Fatalf("sent %+v, want the post %s", a, op)
	}
	waitState(t, s, StateLive)

	// Acknowledged at 8: the entry waits for its event, not resent.
	c.send(protocol.Ack{Op: op, Feed: "main", Pos: 8})
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Pending()) != 1 || s.Pending()[0].AckedPos != 8 {
		if time.Now().After(deadline) {
			t.Fatalf("after the ack: %+v", s.Pending())
		}
		time.Sleep(time.Millisecond)
	}
	c.Close(0, "")
	c2, hello2 := f.accept()
	if hello2.Subs[0].Mode != protocol.ModeResume || hello2.Subs[0].Pos != 7 {
		t.Fatalf("resume %+v", hello2.Subs)
	}
	// The event comes in the resume: the entry leaves, and was not sent again.
	c2.send(protocol.Event{Feed: "main", Pos: 8, Prev: 7, Kind: protocol.KindPost, Op: op, Author: f.user, ID: "p8", Text: "hello"})
	c2.send(protocol.Subscribed{Feed: "main", Pos: 8})
	deadline = time.Now().Add(5 * time.Second)
	for len(s.Pending()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("outbox after the event: %+v", s.Pending())
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case m := <-c2.toServer:
		if m.MsgType() != protocol.TypeHeartbeat {
			t.Fatalf("sent again after the ack: %+v", m)
		}
	default:
	}
	if got := s.Feed("main").Posts; len(got) != 1 || got[0].ID != "p8" {
		t.Fatalf("feed %+v", got)
	}
}

// TestRefusedActionIsRejected: a refusal that is not temporary moves the
// entry to Rejected, with the server's reason, until dismissed.
func TestRefusedActionIsRejected(t *testing.T) {
	f := newFakeEnd(t)
	s := runningOn(t, f, "main")
	c, _ := f.accept()
	c.send(protocol.Subscribed{Feed: "main", Pos: 3})
	op, _ := s.Edit("main", "p1", "changed")
	if _, ok := c.nextAction(t).(protocol.Action); !ok {
		t.Fatal("the edit was not sent")
	}
	e := protocol.Errorf(protocol.CodeForbidden, "only the author can edit post \"p1\"")
	e.Op, e.Feed = op, "main"
	c.send(e)
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Rejected()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("rejected %+v, pending %+v", s.Rejected(), s.Pending())
		}
		time.Sleep(time.Millisecond)
	}
	if r := s.Rejected()[0]; r.Error.Code != protocol.CodeForbidden || r.Action.Op != op || len(s.Pending()) != 0 {
		t.Fatalf("rejected %+v", r)
	}
	s.Dismiss(op)
	if len(s.Rejected()) != 0 {
		t.Fatal("not dismissed")
	}
}

// TestGapResumes: an event that does not continue the feed ends the
// connection, and the next hello resumes from the last position applied.
func TestGapResumes(t *testing.T) {
	f := newFakeEnd(t)
	s := runningOn(t, f, "main")
	c, _ := f.accept()
	c.send(protocol.Snapshot{Feed: "main", Pos: 10, Posts: []protocol.Post{}})
	c.send(protocol.Event{Feed: "main", Pos: 15, Prev: 12, Kind: protocol.KindPost, ID: "p15", Text: "after a gap"})
	_, hello := f.accept()
	if hello.Subs[0].Mode != protocol.ModeResume || hello.Subs[0].Pos != 10 {
		t.Fatalf("after the gap: %+v", hello.Subs)
	}
	if st := s.Status().Stats; st.Gaps != 1 {
		t.Fatalf("gaps %d", st.Gaps)
	}
}

// TestBackoffWhileDialsFail: failed dials are retried (Reconnecting, the
// attempt counted), offline stops dialing, online dials at once.
func TestBackoffWhileDialsFail(t *testing.T) {
	f := newFakeEnd(t)
	f.fail = errors.New("refused")
	s := runningOn(t, f, "main")
	deadline := time.Now().Add(10 * time.Second)
	for s.Status().Attempt < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v after %d dials", s.Status(), f.dials)
		}
		time.Sleep(time.Millisecond)
	}
	if st := s.Status(); st.State != StateReconnecting || st.LastError == "" {
		t.Fatalf("status %+v", st)
	}
	s.SetOnline(false)
	waitState(t, s, StateOffline)
	f.mu.Lock()
	n := f.dials
	f.fail = nil
	f.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // offline: no dial in this while
	f.mu.Lock()
	if f.dials != n {
		t.Errorf("%d dials while offline", f.dials-n)
	}
	f.mu.Unlock()
	s.SetOnline(true)
	f.accept()
	waitState(t, s, StateLive)
}
