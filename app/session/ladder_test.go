package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// ladderOn runs a session with Transport auto whose three rungs dial the
// fake servers ws, stream and poll, with the ladder's timings shortened.
func ladderOn(t *testing.T, store Store, ws, stream, poll *fakeEnd) *Session {
	return runLadder(t, Config{Feeds: []string{"main"}, Store: store, Transport: TransportAuto,
		Backoff:       Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond},
		FallbackAfter: 100 * time.Millisecond, ProbeUpEvery: 50 * time.Millisecond}, ws, stream, poll)
}

// runLadder runs a session of cfg whose three rungs dial the fake servers
// ws, stream and poll, until the test ends.
func runLadder(t *testing.T, cfg Config, ws, stream, poll *fakeEnd) *Session {
	s := New(cfg)
	s.dial = ws.dial
	s.ladder.dials[TransportStream] = stream.dial
	s.ladder.dials[TransportPoll] = poll.dial
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func waitTransport(t *testing.T, s *Session, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for st := s.Status(); st.State != StateLive || st.Transport != want; st = s.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("%s over %q, want Live over %q", st.State, st.Transport, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func (f *fakeEnd) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

func (f *fakeEnd) dialed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dials
}

// TestLadderMovesDownOnlyWithoutARoundTrip: a refused WebSocket moves the
// session to a stream at once; one that opens but never answers hello
// moves it down after FallbackAfter; a stream that got its welcome and
// then dropped is dialed again, not given up for polls.
func TestLadderMovesDownOnlyWithoutARoundTrip(t *testing.T) {
	ws, stream, poll := newFakeEnd(t), newFakeEnd(t), newFakeEnd(t)
	ws.setFail(errors.New("403 Forbidden"))
	s := ladderOn(t, NewMemoryStore(), ws, stream, poll)
	c, _ := stream.accept()
	waitTransport(t, s, TransportStream)

	c.Close(0, "") // dropped after a round trip: the same rung again
	stream.accept()
	waitTransport(t, s, TransportStream)
	if n := poll.dialed(); n != 0 {
		t.Fatalf("polls dialed %d times after a stream that worked", n)
	}

	// A stream that never answers: polls after FallbackAfter.
	stream2, poll2 := newFakeEnd(t), newFakeEnd(t)
	ws2 := newFakeEnd(t)
	ws2.setFail(errors.New("403 Forbidden"))
	s2 := ladderOn(t, NewMemoryStore(), ws2, stream2, poll2)
	start := time.Now()
	go func() { <-stream2.conns }() // opens, and says nothing
	poll2.accept()
	waitTransport(t, s2, TransportPoll)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("moved down after %v, before FallbackAfter", d)
	}
}

// TestLadderRemembers: the rung that worked is where the next session
// starts, for TransportMemory; older than that, it starts at the top.
func TestLadderRemembers(t *testing.T) {
	for _, tc := range []struct {
		age  time.Duration
		want string
	}{
		{TransportMemory - time.Minute, TransportPoll},
		{TransportMemory + time.Minute, TransportWebSocket},
	} {
		store := NewMemoryStore()
		b, _ := json.Marshal(remembered{Transport: TransportPoll, At: time.Now().Add(-tc.age)})
		store.Set(keyTransport, b)
		ws, stream, poll := newFakeEnd(t), newFakeEnd(t), newFakeEnd(t)
		s := ladderOn(t, store, ws, stream, poll)
		if tc.want == TransportPoll {
			poll.accept()
		} else {
			ws.accept()
		}
		waitTransport(t, s, tc.want)
		// The rungs above the remembered one were not tried first (a
		// WebSocket may be, by the probe, once live).
		if tc.want == TransportPoll && stream.dialed() != 0 {
			t.Fatalf("remembered %s, age %v: the stream was dialed", TransportPoll, tc.age)
		}
	}
}

// TestLadderMovesUp: live over polls, the session tries a WebSocket every
// ProbeUpEvery; once one answers, it reconnects over a WebSocket, resuming
// from its position and resending its outbox.
func TestLadderMovesUp(t *testing.T) {
	ws, stream, poll := newFakeEnd(t), newFakeEnd(t), newFakeEnd(t)
	ws.setFail(errors.New("403 Forbidden"))
	stream.setFail(errors.New("buffered"))
	s := ladderOn(t, NewMemoryStore(), ws, stream, poll)
	pc, _ := poll.accept()
	waitTransport(t, s, TransportPoll)
	pc.send(protocol.Subscribed{Feed: "main", Pos: 7})
	time.Sleep(200 * time.Millisecond) // not a wait: probes fail meanwhile
	if st := s.Status(); st.Transport != TransportPoll {
		t.Fatalf("moved to %q while WebSockets fail", st.Transport)
	}
	op, _ := s.Post("main", "pending across the move")
	ws.setFail(nil)
	if _, h := ws.accept(); len(h.Subs) != 0 { // the probe: hello with no feeds
		t.Fatalf("the probe subscribed %+v", h.Subs)
	}
	c, hello := ws.accept() // the connection that moves up
	waitTransport(t, s, TransportWebSocket)
	if len(hello.Subs) != 1 || hello.Subs[0].Mode != protocol.ModeResume || hello.Subs[0].Pos != 7 {
		t.Fatalf("hello after moving up %+v, want main resumed at 7", hello.Subs)
	}
	if a, ok := c.nextAction(t).(protocol.Action); !ok || a.Op != op {
		t.Fatalf("the outbox was not resent over the WebSocket (%+v)", a)
	}
	select {
	case <-pc.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the poll connection was not closed after moving up")
	}
}

// TestResumesCountAnsweredHellos: a rung that takes the hello but never
// answers (an HTTP transport "dials" without the network) does not count
// a resume; the connection that gets its welcome does, once per feed.
func TestResumesCountAnsweredHellos(t *testing.T) {
	ws, stream, poll := newFakeEnd(t), newFakeEnd(t), newFakeEnd(t)
	ws.setFail(errors.New("connection refused"))
	poll.setFail(errors.New("connection refused"))
	s := runLadder(t, Config{Feeds: []string{"main"}, InitialPos: map[string]uint64{"main": 5}, Transport: TransportAuto,
		Backoff: Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}, FallbackAfter: 20 * time.Millisecond}, ws, stream, poll)
	go func() { // the stream takes every hello and says nothing
		for c := range stream.conns {
			go func() {
				for {
					select {
					case <-c.toServer:
					case <-c.closed:
						return
					}
				}
			}()
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for poll.dialed() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the ladder did not go round three times")
		}
		time.Sleep(time.Millisecond)
	}
	if n := s.Status().Stats.Resumes; n != 0 {
		t.Fatalf("%d resumes counted for hellos nobody answered", n)
	}
	poll.setFail(nil)
	poll.accept()
	waitTransport(t, s, TransportPoll)
	if n := s.Status().Stats.Resumes; n != 1 {
		t.Fatalf("%d resumes after one answered hello with one feed, want 1", n)
	}
}

// TestLadderStaysUpThroughARestart: a WebSocket refused once (the server
// restarting) is tried again after the backoff, not given up for HTTP; a
// second refusal in a row moves the session down.
func TestLadderStaysUpThroughARestart(t *testing.T) {
	ws, stream, poll := newFakeEnd(t), newFakeEnd(t), newFakeEnd(t)
	ws.setFail(errors.New("connection refused"))
	s := runLadder(t, Config{Feeds: []string{"main"}, Transport: TransportAuto,
		Backoff: Backoff{Base: 300 * time.Millisecond, Cap: 300 * time.Millisecond}, FallbackAfter: time.Second}, ws, stream, poll)
	deadline := time.Now().Add(10 * time.Second)
	for ws.dialed() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("no WebSocket dial")
		}
		time.Sleep(time.Millisecond)
	}
	ws.setFail(nil) // back within the backoff
	ws.accept()
	waitTransport(t, s, TransportWebSocket)
	if n := stream.dialed(); n != 0 {
		t.Fatalf("the stream was dialed %d times after one refusal", n)
	}
}

// TestLadderOutageKeepsTheTop: while the server is down (its WebSocket
// refused, HTTP answered by no response at all), every attempt after a
// backoff wait is on the top rung, so that the session's next attempt
// once the server is back is a WebSocket, not a stream it would leave
// again a round trip later.
func TestLadderOutageKeepsTheTop(t *testing.T) {
	l := newLadder(Config{Transport: TransportAuto}, nil)
	refused := errors.New("websocket: failed to dial: connection refused")
	noResponse := fmt.Errorf("session: connection lost: %w",
		fmt.Errorf("session: stream: %w", unreachableError{errors.New("TypeError: Failed to fetch")}))
	for wait := range 30 {
		name, _, _ := l.next()
		if name != TransportWebSocket {
			t.Fatalf("the attempt after backoff wait %d is over %s, want %s", wait, name, TransportWebSocket)
		}
		for {
			err := refused
			if name != TransportWebSocket {
				err = noResponse
			}
			if !l.done(name, false, time.Millisecond, err) {
				break // a backoff wait
			}
			name, _, _ = l.next()
		}
	}
}
