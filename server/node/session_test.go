package node_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/app/session"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

type recorder struct {
	mu     sync.Mutex
	states []session.State
	events []protocol.Event
}

func (rec *recorder) update(s *session.Session) func(session.Update) {
	return func(u session.Update) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		switch u.Kind {
		case session.UpdateStatus:
			st := s.Status().State
			if n := len(rec.states); n == 0 || rec.states[n-1] != st {
				rec.states = append(rec.states, st)
			}
		case session.UpdateFeed:
			if u.Event != nil {
				rec.events = append(rec.events, *u.Event)
			}
		}
	}
}

// TestSessionSurvivesRestart: a session keeps its feed through a server
// restart; actions queued while the server is down are sent once when it is
// back; the other session sees each exactly once.
func TestSessionSurvivesRestart(t *testing.T) {
	r := testnode.NewRestartable(t, func(c *node.Config) { c.RestartWindow = 200 * time.Millisecond })
	newSession := func(name string) (*session.Session, *recorder) {
		token, _ := r.TN.SignIn(t, name)
		rec := &recorder{}
		var s *session.Session
		s = session.New(session.Config{
			URL: "ws://" + r.Addr + "/ws", Token: token, Feeds: []string{"main"},
			Backoff:  session.Backoff{Base: 50 * time.Millisecond, Cap: 300 * time.Millisecond},
			OnUpdate: func(u session.Update) { rec.update(s)(u) },
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); s.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return s, rec
	}
	a, _ := newSession("Ada")
	b, brec := newSession("Bob")
	wait.Until(t, 20*time.Second, "both live", func() bool {
		return a.Status().State == session.StateLive && b.Status().State == session.StateLive
	})
	op, err := a.Post("main", "before restart")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.WaitAck(ctx, op); err != nil {
		t.Fatal(err)
	}
	r.TN.Stop()
	wait.Until(t, 20*time.Second, "reconnecting", func() bool { return a.Status().State == session.StateReconnecting })
	var ops []string
	for i := 0; i < 3; i++ {
		op, err := a.Post("main", fmt.Sprintf("while down %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	// The three wait unsent. (The first post may still be listed, as
	// acknowledged: the server acknowledges an action before it fans the
	// event out, and the session keeps an acknowledged action until its
	// event arrives, which the stop may have cut off.)
	unsent := 0
	for _, p := range a.Pending() {
		if p.AckedPos == 0 {
			unsent++
		}
	}
	if unsent != 3 {
		t.Fatalf("%d unsent while down, want 3 (pending: %+v)", unsent, a.Pending())
	}
	r.Start(func(c *node.Config) { c.RestartWindow = 200 * time.Millisecond })
	for _, op := range ops {
		if _, err := a.WaitAck(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	wait.Until(t, 20*time.Second, "Bob to see all 4 posts", func() bool { return len(b.Feed("main").Posts) == 4 })
	wait.Until(t, 20*time.Second, "Ada's outbox to drain", func() bool { return len(a.Pending()) == 0 })
	brec.mu.Lock()
	defer brec.mu.Unlock()
	seen := map[string]int{}
	for _, e := range brec.events {
		seen[e.Text]++
	}
	for text, n := range seen {
		if n != 1 {
			t.Errorf("Bob applied %q %d times", text, n)
		}
	}
	if st := b.Status().Stats; st.Reconnects < 1 || st.Resumes < 1 || st.Duplicates != 0 || st.Gaps != 0 {
		t.Errorf("Bob's stats %+v", st)
	}
	if got := len(r.TN.Service.View().Snapshot("main").Posts); got != 4 {
		t.Errorf("server holds %d posts, want 4", got)
	}
	t.Logf("Bob's states: %v", brec.states)
}

// TestGracefulShutdownTellsClients: on shutdown each client gets a goaway
// with the restart window and close code 4000; the server refuses new
// upgrades the same way while draining.
func TestGracefulShutdownTellsClients(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.RestartWindow = 3 * time.Second })
	tok, _ := tn.SignIn(t, "Ada")
	c := testnode.Dial(t, tn, tok)
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](c)
	go tn.Node.Shutdown(context.Background())
	g := testnode.Expect[protocol.GoAway](c)
	if g.Reason != "restart" || g.RetryMaxMS != 3000 {
		t.Fatalf("goaway %+v", g)
	}
	_, err := c.Read(5 * time.Second)
	if websocket.CloseStatus(err) != protocol.CloseRestart {
		t.Fatalf("close %v, want %d", err, protocol.CloseRestart)
	}
	resp, err := http.Get(tn.Srv.URL + "/readyz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz while draining: %d", resp.StatusCode)
		}
	}
}

// TestSessionResendsAfterTemporaryError: actions refused for now (over the
// rate limit) are sent again on the same connection after retry_after_ms,
// and each is applied once.
func TestSessionResendsAfterTemporaryError(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	token, _ := tn.SignIn(t, "Burst")
	s := session.New(session.Config{URL: tn.WSURL(), Token: token})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go s.Run(ctx)
	wait.Until(t, 20*time.Second, "live", func() bool { return s.Status().State == session.StateLive })
	var ops []string
	for i := 0; i < 60; i++ { // over the burst of 40
		op, err := s.Post("main", fmt.Sprintf("burst %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	for _, op := range ops {
		if _, err := s.WaitAck(ctx, op); err != nil {
			t.Fatalf("op %s: %v", op, err)
		}
	}
	if got := len(tn.Service.View().Snapshot("main").Posts); got != 60 {
		t.Fatalf("%d posts stored, want 60", got)
	}
	if st := s.Status().Stats; st.Reconnects != 0 {
		t.Fatalf("needed %d reconnects; the resend should happen on the same connection", st.Reconnects)
	}
}

// TestSessionFollowsServerAppVersion: the session's status has the app
// version of the server it last connected to, and a server replaced by
// another build (the same address and data) shows up as its version after
// the reconnect, with the outbox kept and sent once.
func TestSessionFollowsServerAppVersion(t *testing.T) {
	build := func(v string) func(*node.Config) {
		return func(c *node.Config) { c.AppVersion, c.RestartWindow = v, 200*time.Millisecond }
	}
	r := testnode.NewRestartable(t, build("build-1"))
	token, _ := r.TN.SignIn(t, "Ada")
	s := session.New(session.Config{
		URL: "ws://" + r.Addr + "/ws", Token: token, Feeds: []string{"main"},
		Backoff: session.Backoff{Base: 50 * time.Millisecond, Cap: 300 * time.Millisecond},
	})
	if v := s.Status().AppVersion; v != "" {
		t.Fatalf("app version %q before any welcome", v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wait.Until(t, 20*time.Second, "live on build-1", func() bool {
		st := s.Status()
		return st.State == session.StateLive && st.AppVersion == "build-1"
	})
	r.TN.Stop()
	wait.Until(t, 20*time.Second, "reconnecting", func() bool { return s.Status().State == session.StateReconnecting })
	op, err := s.Post("main", "written between the builds")
	if err != nil {
		t.Fatal(err)
	}
	r.Start(build("build-2"))
	wait.Until(t, 20*time.Second, "live on build-2", func() bool {
		st := s.Status()
		return st.State == session.StateLive && st.AppVersion == "build-2"
	})
	actx, acancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer acancel()
	if _, err := s.WaitAck(actx, op); err != nil {
		t.Fatal(err)
	}
	if got := len(r.TN.Service.View().Snapshot("main").Posts); got != 1 {
		t.Errorf("server holds %d posts, want 1", got)
	}
}
