package hub

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// catchSink is a subscriber as the gateway's is (gateway/subscription.go):
// it joins the hub, then catches up from the view in a goroutine of its
// own while it buffers what the fan-out offers, then sends the buffered
// events above what the catch-up brought and goes live. got is what its
// client would have received, in order.
type catchSink struct {
	mu       sync.Mutex
	catching bool
	left     bool
	last     uint64 // the newest position sent, or buffered while catching
	buf      []uint64
	got      []uint64
	bad      string // what went wrong, if anything
	from     uint64 // the client's position before it subscribed
	slow     bool   // a slow socket: each Deliver takes a while
}

func (s *catchSink) Deliver(fs *Frames) {
	if s.slow {
		time.Sleep(20 * time.Microsecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left {
		return
	}
	if fs.Missed(s.last) && s.bad == "" {
		s.bad = fmt.Sprintf("told it missed events up to %d (the test publishes slowly enough for none)", fs.Lost())
	}
	for i := fs.Take(&s.last); i < fs.Len(); i++ {
		msg, ok := wsframe.Payload(fs.Frame(i))
		if want := fmt.Sprint("event ", fs.Pos(i)); (!ok || !bytes.Equal(msg, []byte(want))) && s.bad == "" {
			s.bad = fmt.Sprintf("frame at %d is %.40q", fs.Pos(i), fs.Frame(i))
		}
		if s.catching {
			s.buf = append(s.buf, fs.Pos(i))
		} else {
			s.got = append(s.got, fs.Pos(i))
		}
	}
}

func (s *catchSink) DeliverPresence([]byte) {}

// catchUp is the catch-up: the view's events after s.from, up to the
// view's position now, then the buffered ones after those.
func (s *catchSink) catchUp(view *atomic.Uint64) {
	upTo := view.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := s.from + 1; p <= upTo; p++ {
		s.got = append(s.got, p)
	}
	last := max(upTo, s.from)
	for _, p := range s.buf {
		if p > last {
			s.got = append(s.got, p)
			last = p
		}
	}
	s.buf, s.catching, s.last = nil, false, last
}

// check says what is wrong with what s got: it must be the run from s.from+1
// to its last event (to the feed's last, to if s stayed), each once.
func (s *catchSink) check(to uint64, stayed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bad != "" {
		return fmt.Errorf("%s", s.bad)
	}
	if s.catching {
		if stayed {
			return fmt.Errorf("still catching up")
		}
		return nil
	}
	for i, p := range s.got {
		if want := s.from + 1 + uint64(i); p != want {
			return fmt.Errorf("event %d is at %d, want %d (from %d; %v...)", i, p, want, s.from, s.got[max(0, i-3):min(len(s.got), i+3)])
		}
	}
	if n := uint64(len(s.got)); stayed && s.from+n != to {
		return fmt.Errorf("got %d events after %d, want every one up to %d", n, s.from, to)
	}
	return nil
}

// TestShardedFanoutWithChurn: a feed of several shards, whose subscribers
// join and leave (filling holes, making new shards and emptying them)
// while events flow and presence is announced; every subscriber gets every
// event from its position on, once and in order, through the same
// catch-up handoff as the gateway's, and the shards stay consistent.
func TestShardedFanoutWithChurn(t *testing.T) {
	h := New()
	const (
		initial = 2*ShardSize + ShardSize/2 // three shards
		bulk    = ShardSize / 2             // a churner's joins: a fourth shard, then emptied
		events  = 300
	)
	var (
		view   atomic.Uint64 // the feed's view: every event up to here applied
		mu     sync.Mutex
		stayed = map[*catchSink]bool{}
		uid    atomic.Int64
	)
	join := func() *catchSink {
		// Some slow subscribers put the shards' sweeps at different
		// points of the feed, as a subscriber moved between shards would
		// notice.
		s := &catchSink{catching: true, from: view.Load(), slow: uid.Load()%8 == 0}
		h.Join("main", s, protocol.User{ID: fmt.Sprint("u", uid.Add(1)%500), Name: "n"})
		go s.catchUp(&view)
		mu.Lock()
		stayed[s] = true
		mu.Unlock()
		return s
	}
	leave := func(s *catchSink) {
		mu.Lock()
		stayed[s] = false
		mu.Unlock()
		h.Leave("main", s)
		s.mu.Lock()
		s.left = true
		s.mu.Unlock()
	}
	first := make([]*catchSink, initial)
	for i := range first {
		first[i] = join()
	}

	stop := make(chan struct{})
	var churn sync.WaitGroup
	var most atomic.Int64 // the most shards seen
	shards := func() int {
		h.mu.RLock()
		defer h.mu.RUnlock()
		return len(h.feeds["main"].shards)
	}
	for c := range 2 {
		churn.Add(1)
		go func() {
			defer churn.Done()
			r := rand.New(rand.NewPCG(uint64(c), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				mine := make([]*catchSink, bulk)
				for i := range mine {
					mine[i] = join()
				}
				most.Store(max(most.Load(), int64(shards())))
				// One of the first subscribers leaves, and comes back as
				// a new one (a reconnect).
				if i := r.IntN(len(first)); c == 0 {
					mu.Lock()
					s := first[i]
					mu.Unlock()
					leave(s)
					ns := join()
					mu.Lock()
					first[i] = ns
					mu.Unlock()
				}
				r.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
				for _, s := range mine[:len(mine)-1] {
					leave(s)
				}
			}
		}()
	}
	churn.Add(1)
	go func() {
		defer churn.Done()
		for {
			select {
			case <-stop:
				return
			default:
				h.announce(time.Now()) // presence visits every shard's list
				time.Sleep(time.Millisecond)
			}
		}
	}()

	for pos := uint64(1); pos <= events; pos++ {
		view.Store(pos) // applied to the view, then published, as feed.Service.Run does
		h.Publish("main", pos, []byte(fmt.Sprint("event ", pos)))
		if pos%10 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	close(stop)
	churn.Wait()
	h.Wait()
	if most.Load() < 4 {
		t.Errorf("at most %d shards; the churn was to make a fourth", most.Load())
	}

	// Every catch-up is done before the checks.
	mu.Lock()
	defer mu.Unlock()
	for s := range stayed {
		for {
			s.mu.Lock()
			done := !s.catching
			s.mu.Unlock()
			if done {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	n, failed := 0, 0
	for s, in := range stayed {
		if err := s.check(events, in); err != nil {
			if failed++; failed <= 5 {
				t.Errorf("a subscriber (stayed %v): %v", in, err)
			}
		}
		if in {
			n++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d subscribers got a wrong run", failed, len(stayed))
	}
	checkShards(t, h, "main", n)
	t.Logf("%d subscribers in all, %d at the end in %d shards (at most %d)", len(stayed), n, shards(), most.Load())
}

// checkShards fails unless feed's shards hold each of its n subscribers
// once, where its member says, none over ShardSize and none empty.
func checkShards(t *testing.T, h *Hub, feed string, n int) {
	t.Helper()
	h.mu.RLock()
	defer h.mu.RUnlock()
	f := h.feeds[feed]
	if len(f.sinks) != n {
		t.Fatalf("%d members, want %d", len(f.sinks), n)
	}
	total := 0
	for _, sh := range f.shards {
		if len(sh.list) == 0 || len(sh.list) > ShardSize {
			t.Fatalf("a shard of %d subscribers", len(sh.list))
		}
		total += len(sh.list)
	}
	if total != n {
		t.Fatalf("the shards list %d subscribers, want %d", total, n)
	}
	for s, m := range f.sinks {
		if m.sh.list[m.idx] != s {
			t.Fatal("a member is not where it says in its shard")
		}
	}
}

// TestShardsFillAndEmpty: subscribers fill a shard before the next is
// made; departures leave holes that the next joins fill; an emptied shard
// goes, and the last subscriber's departure removes the feed.
func TestShardsFillAndEmpty(t *testing.T) {
	h := New()
	sinks := make([]*recSink, 2*ShardSize+1)
	for i := range sinks {
		sinks[i] = &recSink{}
		h.Join("main", sinks[i], protocol.User{ID: fmt.Sprint("u", i), Name: "n"})
	}
	sizes := func() []int {
		h.mu.RLock()
		defer h.mu.RUnlock()
		var s []int
		for _, sh := range h.feeds["main"].shards {
			s = append(s, len(sh.list))
		}
		return s
	}
	if got := fmt.Sprint(sizes()); got != fmt.Sprint([]int{ShardSize, ShardSize, 1}) {
		t.Fatalf("shards of %s after %d joins", got, len(sinks))
	}
	// A hole in the first shard is filled by the next join.
	h.Leave("main", sinks[3])
	extra := &recSink{}
	h.Join("main", extra, ada)
	if got := fmt.Sprint(sizes()); got != fmt.Sprint([]int{ShardSize, ShardSize, 1}) {
		t.Fatalf("shards of %s after a leave and a join", got)
	}
	// The third shard's only subscriber leaves: the shard goes.
	h.Leave("main", sinks[2*ShardSize])
	if got := fmt.Sprint(sizes()); got != fmt.Sprint([]int{ShardSize, ShardSize}) {
		t.Fatalf("shards of %s after the third shard emptied", got)
	}
	checkShards(t, h, "main", 2*ShardSize)
	// Every shard gets each event once.
	h.Publish("main", 1, []byte("event 1"))
	h.Wait()
	for i, s := range append(sinks, extra) {
		if i == 3 || i == 2*ShardSize {
			checkRun(t, fmt.Sprint("sink ", i), s.positions(), 1, 0)
			continue
		}
		checkRun(t, fmt.Sprint("sink ", i), s.positions(), 1, 1)
	}
	for i, s := range sinks {
		if i != 3 && i != 2*ShardSize {
			h.Leave("main", s)
		}
	}
	h.Leave("main", extra)
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(h.feeds) != 0 {
		t.Fatalf("%d feeds left after everyone left", len(h.feeds))
	}
}
