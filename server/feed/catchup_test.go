package feed

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"livefeed/server/eventlog"
	"livefeed/server/internal/wait"
	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// running opens a service on log and runs it until the test ends.
func running(t *testing.T, log eventlog.Log, cfg Config) *Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Open(ctx, log, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

var ann = protocol.User{ID: "u-ann", Name: "Ann"}

func mustDo(t *testing.T, s *Service, a protocol.Action) protocol.Ack {
	t.Helper()
	ack, err := s.Do(context.Background(), ann, a)
	if err != nil {
		t.Fatalf("%+v: %v", a, err)
	}
	return ack
}

func postAction(feed, op, text string) protocol.Action {
	return protocol.Action{Feed: feed, Op: op, Text: text}.WithKind(protocol.TypePost)
}

// caughtUp runs CatchUp and returns the messages it sent, decoded, and the
// position it returned.
func caughtUp(t *testing.T, s *Service, sub protocol.Sub) ([]protocol.Message, uint64) {
	t.Helper()
	var got []protocol.Message
	pos, err := s.CatchUp(context.Background(), ann.ID, sub, func(frame []byte) error {
		b, ok := wsframe.Payload(frame)
		if !ok {
			t.Fatalf("catch-up sent %q, not one text frame", frame)
		}
		m, err := protocol.Decode(b)
		if err != nil {
			t.Fatalf("catch-up sent %s: %v", b, err)
		}
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, pos
}

// kinds names the messages: "event 5", "snapshot 7", "history_gone".
func kinds(ms []protocol.Message) []string {
	var out []string
	for _, m := range ms {
		switch m := m.(type) {
		case protocol.Event:
			out = append(out, fmt.Sprint("event ", m.Pos))
		case protocol.Snapshot:
			out = append(out, fmt.Sprint("snapshot ", m.Pos))
		case protocol.HistoryGone:
			out = append(out, "history_gone")
		default:
			out = append(out, m.MsgType())
		}
	}
	return out
}

// TestCatchUp: every way a subscription is brought up to date, from
// memory and from the log, and every history_gone branch.
func TestCatchUp(t *testing.T) {
	log := eventlog.NewMemory()
	s := running(t, log, Config{})
	// Feed "a" at 1, 3, 5; feed "b" at 2, 4.
	for i := 1; i <= 5; i++ {
		feed := "a"
		if i%2 == 0 {
			feed = "b"
		}
		mustDo(t, s, postAction(feed, fmt.Sprint("o", i), fmt.Sprint("post ", i)))
	}
	cases := []struct {
		name    string
		sub     protocol.Sub
		want    string
		wantPos uint64
	}{
		{"live: nothing, from the feed's last", protocol.Sub{Feed: "a", Mode: protocol.ModeLive}, "[]", 5},
		{"snapshot", protocol.Sub{Feed: "a", Mode: protocol.ModeSnapshot}, "[snapshot 5]", 5},
		{"resume from the start", protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 0}, "[event 1 event 3 event 5]", 5},
		{"resume in the middle", protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 3}, "[event 5]", 5},
		{"resume between another feed's events", protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 4}, "[event 5]", 5},
		{"resume caught up", protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 5}, "[]", 5},
		{"resume ahead of the log (a reset log)", protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 99}, "[history_gone snapshot 5]", 5},
		{"resume of an empty feed", protocol.Sub{Feed: "c", Mode: protocol.ModeResume, Pos: 0}, "[]", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, pos := caughtUp(t, s, c.sub)
			if fmt.Sprint(kinds(got)) != c.want || pos != c.wantPos {
				t.Errorf("sent %v, position %d; want %s, %d", kinds(got), pos, c.want, c.wantPos)
			}
		})
	}

	// The same resumes from a service that did not apply these events
	// itself (a restarted node: nothing in memory), from the log.
	cold := running(t, log, Config{})
	// Wait for the follower to be done with record 5 (WaitApplied returns
	// once the view has it, maybe before the ring does), then empty the
	// ring, as after a restart.
	wait.For(t, 10*time.Second, time.Millisecond, func() error {
		cold.recentMu.Lock()
		defer cold.recentMu.Unlock()
		if cold.recentLast != 5 {
			return fmt.Errorf("the ring's last is %d, want 5", cold.recentLast)
		}
		clear(cold.recent[:])
		return nil
	})
	for _, c := range cases {
		t.Run("from the log: "+c.name, func(t *testing.T) {
			got, pos := caughtUp(t, cold, c.sub)
			if fmt.Sprint(kinds(got)) != c.want || pos != c.wantPos {
				t.Errorf("sent %v, position %d; want %s, %d", kinds(got), pos, c.want, c.wantPos)
			}
		})
	}
}

// TestCatchUpAfterTrim: a resume from before the oldest record kept gets
// history_gone and a snapshot, from memory and from the log alike.
func TestCatchUpAfterTrim(t *testing.T) {
	log := eventlog.NewMemory()
	s := running(t, log, Config{RetainEvents: 4})
	for i := 1; i <= 10; i++ {
		mustDo(t, s, postAction("a", fmt.Sprint("o", i), fmt.Sprint("post ", i)))
	}
	if err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, _, _ := log.Bounds(context.Background())
	if first != 7 {
		t.Fatalf("log starts at %d after keeping 4 of 10", first)
	}
	for _, from := range []string{"memory", "log"} {
		if from == "log" {
			s.recentMu.Lock()
			clear(s.recent[:])
			s.recentMu.Unlock()
		}
		got, pos := caughtUp(t, s, protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 2})
		if fmt.Sprint(kinds(got)) != "[history_gone snapshot 10]" || pos != 10 {
			t.Errorf("from %s, resume at 2: %v, %d", from, kinds(got), pos)
		}
		if hg := got[0].(protocol.HistoryGone); hg.First != 7 || hg.Pos != 2 {
			t.Errorf("history_gone %+v", hg)
		}
		got, _ = caughtUp(t, s, protocol.Sub{Feed: "a", Mode: protocol.ModeResume, Pos: 8})
		if fmt.Sprint(kinds(got)) != "[event 9 event 10]" {
			t.Errorf("from %s, resume at 8, within what is kept: %v", from, kinds(got))
		}
	}
}

// TestConflictRetry: two nodes on one log appending to the same feed at
// once. Each append expects the feed's last position; the one that loses
// validates again and appends after the other. Every action lands once,
// in a chain of positions.
func TestConflictRetry(t *testing.T) {
	log := eventlog.NewMemory()
	nodes := []*Service{running(t, log, Config{}), running(t, log, Config{})}
	const each = 30
	var wg sync.WaitGroup
	for n, s := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.Do(context.Background(), ann, postAction("a", fmt.Sprint("n", n, "-", i), "x")); err != nil {
					t.Errorf("node %d action %d: %v", n, i, err)
				}
			}
		}()
	}
	wg.Wait()
	conflicts := nodes[0].Stats.Conflicts.Load() + nodes[1].Stats.Conflicts.Load()
	t.Logf("%d conflicts retried", conflicts)
	for _, s := range nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.WaitApplied(ctx, 2*each); err != nil {
			t.Fatal(err)
		}
		cancel()
		snap := s.View().Snapshot("a")
		if len(snap.Posts) != 2*each {
			t.Fatalf("%d posts, want %d", len(snap.Posts), 2*each)
		}
	}
	// Every event continues the one before it.
	chain(t, log, "a")
	if conflicts == 0 {
		t.Log("no conflict happened in this run: the retry path was not taken")
	}
}

// TestDuplicateOp: an op id already applied is acknowledged again, with
// Duplicate set, and stores nothing.
func TestDuplicateOp(t *testing.T) {
	s := running(t, eventlog.NewMemory(), Config{})
	first := mustDo(t, s, postAction("a", "same", "once"))
	again := mustDo(t, s, postAction("a", "same", "once"))
	if !again.Duplicate || again.Pos != first.Pos || again.ID != first.ID {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	if n := len(s.View().Snapshot("a").Posts); n != 1 {
		t.Fatalf("%d posts", n)
	}
}
