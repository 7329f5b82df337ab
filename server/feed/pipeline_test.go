package feed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"livefeed/server/eventlog"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

// paused opens a service on log that does not follow it until start is
// called: its view applies nothing meanwhile, so every action it stores
// stays in flight.
func paused(t *testing.T, log eventlog.Log) (s *Service, start func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Open(ctx, log, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var once sync.Once
	start = func() { once.Do(func() { go func() { defer close(done); s.Run(ctx) }() }) }
	t.Cleanup(func() { cancel(); start(); <-done })
	return s, start
}

// waitStored waits until log holds seq.
func waitStored(t *testing.T, log eventlog.Log, seq uint64) {
	t.Helper()
	wait.For(t, 10*time.Second, wait.Poll, func() error {
		_, last, err := log.Bounds(context.Background())
		if err == nil && last < seq {
			err = fmt.Errorf("the log's last record is %d, want %d", last, seq)
		}
		return err
	})
}

type result struct {
	ack protocol.Ack
	err error
}

// doAsync runs s.Do in a goroutine.
func doAsync(ctx context.Context, s *Service, a protocol.Action) <-chan result {
	ch := make(chan result, 1)
	go func() {
		ack, err := s.Do(ctx, ann, a)
		ch <- result{ack, err}
	}()
	return ch
}

// chain checks that every record of feed continues the one before it and
// returns their positions.
func chain(t *testing.T, log eventlog.Log, feed string) []uint64 {
	t.Helper()
	var prev uint64
	var seqs []uint64
	err := log.ReadFeed(context.Background(), feed, 1, 0, func(r eventlog.Record) error {
		ev, err := EventOf(r)
		if err != nil {
			return err
		}
		if ev.Prev != prev {
			return fmt.Errorf("event %d follows %d, the feed was at %d", ev.Pos, ev.Prev, prev)
		}
		prev = ev.Pos
		seqs = append(seqs, ev.Pos)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seqs
}

// TestPipelinedKeepsOrder: actions of one feed are stored while the ones
// before them are still in flight (not applied), each expecting the one
// before as the feed's last, and acknowledged in that order once applied.
// Before the pipeline the second action waited for the first to be applied
// (this test then timed out waiting for it to be stored).
func TestPipelinedKeepsOrder(t *testing.T) {
	log := eventlog.NewMemory()
	s, start := paused(t, log)
	const n = 50
	var results []<-chan result
	for i := range n {
		results = append(results, doAsync(context.Background(), s, postAction("a", fmt.Sprint("op", i), fmt.Sprint("post ", i))))
		waitStored(t, log, uint64(i+1))
	}
	start()
	for i, ch := range results {
		r := <-ch
		if r.err != nil || r.ack.Pos != uint64(i+1) || r.ack.Duplicate || r.ack.Event == nil || r.ack.Event.Text != fmt.Sprint("post ", i) {
			t.Fatalf("action %d: %+v, %v; want position %d", i, r.ack, r.err, i+1)
		}
	}
	if got := chain(t, log, "a"); len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
}

// TestDuplicateInFlight: an op resent while the first is stored but not
// applied gets the first's acknowledgement, with Duplicate set, and
// stores nothing.
func TestDuplicateInFlight(t *testing.T) {
	log := eventlog.NewMemory()
	s, start := paused(t, log)
	first := doAsync(context.Background(), s, postAction("a", "same", "once"))
	waitStored(t, log, 1)
	var again []<-chan result
	for range 3 {
		again = append(again, doAsync(context.Background(), s, postAction("a", "same", "once")))
	}
	other := doAsync(context.Background(), s, postAction("a", "other", "twice"))
	waitStored(t, log, 2)
	start()
	f := <-first
	if f.err != nil || f.ack.Duplicate || f.ack.Pos != 1 {
		t.Fatalf("first: %+v, %v", f.ack, f.err)
	}
	for _, ch := range again {
		r := <-ch
		if r.err != nil || !r.ack.Duplicate || r.ack.Pos != f.ack.Pos || r.ack.ID != f.ack.ID {
			t.Fatalf("resend: %+v, %v; first %+v", r.ack, r.err, f.ack)
		}
	}
	if r := <-other; r.err != nil || r.ack.Pos != 2 {
		t.Fatalf("other op: %+v, %v", r.ack, r.err)
	}
	if got := chain(t, log, "a"); len(got) != 2 {
		t.Fatalf("records %v, want 2", got)
	}
	if d := s.Stats.Duplicates.Load(); d != 3 {
		t.Fatalf("%d duplicates counted, want 3", d)
	}
}

// TestPipelineConflictFromAnotherNode: another node appends to the feed
// after an action of this one that is still in flight; the next action of
// this node, expecting its own as the last, conflicts, waits for its view
// and is stored after the other node's record.
func TestPipelineConflictFromAnotherNode(t *testing.T) {
	log := eventlog.NewMemory()
	a, start := paused(t, log)
	b := running(t, log, Config{})
	a1 := doAsync(context.Background(), a, postAction("f", "a1", "x"))
	waitStored(t, log, 1)
	if ack := mustDo(t, b, postAction("f", "b1", "y")); ack.Pos != 2 {
		t.Fatalf("other node's post at %d, want 2", ack.Pos)
	}
	a2 := doAsync(context.Background(), a, postAction("f", "a2", "z"))
	wait.Until(t, 10*time.Second, "a conflict", func() bool { return a.Stats.Conflicts.Load() > 0 })
	start()
	if r := <-a1; r.err != nil || r.ack.Pos != 1 {
		t.Fatalf("a1: %+v, %v", r.ack, r.err)
	}
	if r := <-a2; r.err != nil || r.ack.Pos != 3 || r.ack.Event.Prev != 2 {
		t.Fatalf("a2: %+v, %v; want position 3 after 2", r.ack, r.err)
	}
	if got := chain(t, log, "f"); len(got) != 3 {
		t.Fatalf("records %v", got)
	}
}

// TestPipelineDepth: PipelineDepth actions of one feed are stored while
// none is applied; one more waits until the oldest is applied.
func TestPipelineDepth(t *testing.T) {
	log := eventlog.NewMemory()
	s, start := paused(t, log)
	var results []<-chan result
	for i := range PipelineDepth {
		results = append(results, doAsync(context.Background(), s, postAction("a", fmt.Sprint("op", i), "x")))
	}
	waitStored(t, log, PipelineDepth)
	// One more is not stored while the view applies nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Do(ctx, ann, postAction("a", "beyond", "x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("action beyond the pipeline's depth: %v, want a wait (deadline exceeded)", err)
	}
	if _, last, _ := log.Bounds(context.Background()); last != PipelineDepth {
		t.Fatalf("%d records stored with %d in flight", last, PipelineDepth)
	}
	// Another feed is not held up.
	other := doAsync(context.Background(), s, postAction("b", "b1", "x"))
	waitStored(t, log, PipelineDepth+1)
	start()
	for i, ch := range results {
		if r := <-ch; r.err != nil {
			t.Fatalf("action %d: %v", i, r.err)
		}
	}
	if r := <-other; r.err != nil {
		t.Fatal(r.err)
	}
	if ack := mustDo(t, s, postAction("a", "beyond", "x")); ack.Pos != PipelineDepth+2 {
		t.Fatalf("after the pipeline drained: %+v", ack)
	}
	if got := chain(t, log, "a"); len(got) != PipelineDepth+1 {
		t.Fatalf("%d records", len(got))
	}
}

// TestReactionsInFlightToggle: concurrent reactions of one user with one
// emoji on one post each toggle the one before (an action on a post with
// actions in flight waits for them), so the records alternate on, off.
func TestReactionsInFlightToggle(t *testing.T) {
	log := eventlog.NewMemory()
	s := running(t, log, Config{})
	p := mustDo(t, s, postAction("a", "p", "x"))
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := protocol.Action{Feed: "a", Op: fmt.Sprint("r", i), ID: p.ID, Emoji: "👍"}.WithKind(protocol.TypeReact)
			if _, err := s.Do(context.Background(), ann, a); err != nil {
				t.Error(err)
			}
		}()
		// Posts in between, pipelined with the reactions.
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Do(context.Background(), ann, postAction("a", fmt.Sprint("q", i), "y")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	on := false
	err := log.ReadFeed(context.Background(), "a", 1, 0, func(r eventlog.Record) error {
		ev, err := EventOf(r)
		if err != nil || ev.Kind != protocol.KindReact {
			return err
		}
		if ev.On == on {
			return fmt.Errorf("reaction %d: on %v after on %v", ev.Pos, ev.On, on)
		}
		on = ev.On
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	chain(t, log, "a")
}

// notDurable is a Memory whose WaitDurable fails from a position on.
type notDurable struct {
	*eventlog.Memory
	from atomic.Uint64
}

func (l *notDurable) WaitDurable(ctx context.Context, seq uint64) error {
	if f := l.from.Load(); f > 0 && seq >= f {
		return errors.New("fsync failed")
	}
	return l.Memory.WaitDurable(ctx, seq)
}

// TestPipelineNotDurable: an action whose record cannot be made durable is
// not acknowledged, the feed's pipeline is dropped (it held that record),
// and the feed takes actions again once the log does.
func TestPipelineNotDurable(t *testing.T) {
	log := &notDurable{Memory: eventlog.NewMemory()}
	s := running(t, log, Config{})
	mustDo(t, s, postAction("a", "1", "x"))
	log.from.Store(2)
	var perr *protocol.Error
	if _, err := s.Do(context.Background(), ann, postAction("a", "2", "x")); !errors.As(err, &perr) || !perr.Temporary {
		t.Fatalf("action not made durable: %v, want a temporary error", err)
	}
	st := s.stripeFor("a")
	st.mu.Lock()
	p := st.feeds["a"]
	st.mu.Unlock()
	if p != nil {
		t.Fatalf("pipeline after a failed fsync: %+v, want none", p.entries)
	}
	log.from.Store(0)
	if ack := mustDo(t, s, postAction("a", "3", "x")); ack.Duplicate {
		t.Fatalf("%+v", ack)
	}
	chain(t, log, "a")
}
