package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// countingStore is a MemoryStore that counts writes.
type countingStore struct {
	*MemoryStore
	mu     sync.Mutex
	writes int
}

func (c *countingStore) Set(key string, val []byte) error {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.MemoryStore.Set(key, val)
}

func (c *countingStore) Delete(key string) error {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.MemoryStore.Delete(key)
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// fakeServer accepts one connection at a time, welcomes it and records
// every message the client sends, until the client closes.
type fakeServer struct {
	*httptest.Server
	got    chan protocol.Message
	closed chan struct{} // a connection ended
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{got: make(chan protocol.Message, 64), closed: make(chan struct{}, 8)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{protocol.Subprotocol}})
		if err != nil {
			return
		}
		defer func() { f.closed <- struct{}{} }()
		ctx := r.Context()
		welcomed := false
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			m, err := protocol.Decode(b)
			if err != nil {
				t.Errorf("server: %v", err)
				return
			}
			if _, ok := m.(protocol.Hello); ok && !welcomed {
				welcomed = true
				w := protocol.Welcome{Version: 1, User: protocol.User{ID: "u1", Name: "Ann"}, HeartbeatMS: 60_000}
				if err := c.Write(ctx, websocket.MessageText, protocol.MustEncode(w)); err != nil {
					return
				}
			}
			f.got <- m
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) wsURL() string { return "ws" + strings.TrimPrefix(f.URL, "http") }

// next returns the next message the client sent that is not a heartbeat.
func (f *fakeServer) next(t *testing.T) protocol.Message {
	t.Helper()
	for {
		select {
		case m := <-f.got:
			if _, ok := m.(protocol.Heartbeat); ok {
				continue
			}
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("the server got nothing")
			return nil
		}
	}
}

// TestCloseStopsSendingAndStoring: once Close returns, the session sends
// nothing (actions, subscriptions) and writes nothing to its Store, and Run
// returns without its context being cancelled.
func TestCloseStopsSendingAndStoring(t *testing.T) {
	srv := newFakeServer(t)
	st := &countingStore{MemoryStore: NewMemoryStore()}
	live := make(chan struct{}, 1)
	var s *Session
	s = New(Config{URL: srv.wsURL(), Feeds: []string{"f"}, Store: st, OnUpdate: func(u Update) {
		if u.Kind == UpdateStatus && s.Status().State == StateLive {
			select {
			case live <- struct{}{}:
			default:
			}
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()

	if _, ok := srv.next(t).(protocol.Hello); !ok {
		t.Fatal("no hello first")
	}
	<-live
	if _, err := s.Post("f", "before"); err != nil {
		t.Fatal(err)
	}
	if a, ok := srv.next(t).(protocol.Action); !ok || a.Text != "before" {
		t.Fatalf("the post did not arrive: %#v", a)
	}
	if len(s.Pending()) != 1 {
		t.Fatalf("pending: %v", s.Pending())
	}

	s.Close()
	written := st.count()
	if !s.Closed() {
		t.Error("Closed() after Close")
	}
	if _, err := s.Post("f", "after"); !errors.Is(err, ErrClosed) {
		t.Errorf("Post after Close: %v, want ErrClosed", err)
	}
	if _, err := s.React("f", "p1", protocol.Reactions[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("React after Close: %v, want ErrClosed", err)
	}
	s.Follow("g")
	s.Dismiss("nothing")
	s.RetryNow()
	// An answer being handled as Close came changes the feed; the flush
	// that follows writes nothing.
	s.handle(nil, protocol.Snapshot{Feed: "f", Pos: 3, Posts: []protocol.Post{post(2, "b")}})
	s.flush()
	s.Close() // twice is fine

	select {
	case err := <-ran:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Run returned %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	<-srv.closed // the connection is gone: everything the client sent has been read
	for {
		select {
		case m := <-srv.got:
			if _, ok := m.(protocol.Heartbeat); !ok {
				t.Errorf("sent after Close: %#v", m)
			}
			continue
		default:
		}
		break
	}
	if n := st.count(); n != written {
		t.Errorf("%d writes to the store after Close", n-written)
	}
	// What was stored before stays readable (the caller removes it).
	if _, ok := st.Get(keyOutbox); !ok {
		t.Error("the outbox stored before Close is gone")
	}
}

// TestCloseEndsABackoffWait: a session waiting to reconnect (the server is
// gone) returns from Run at Close, without reconnecting.
func TestCloseEndsABackoffWait(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	srv.Close()
	waiting := make(chan struct{}, 1)
	var s *Session
	s = New(Config{URL: url, Feeds: []string{"f"},
		Backoff: Backoff{Base: time.Hour, Cap: time.Hour, Rand: func() float64 { return 0.99 }},
		OnUpdate: func(u Update) {
			if st := s.Status(); st.State == StateReconnecting && !st.NextTry.IsZero() {
				select {
				case waiting <- struct{}{}:
				default:
				}
			}
		}})
	ran := make(chan error, 1)
	go func() { ran <- s.Run(context.Background()) }()
	<-waiting
	s.Close()
	select {
	case err := <-ran:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Run returned %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still waits after Close")
	}
}
