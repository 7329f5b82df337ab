// Package logtest is the contract test suite of eventlog.Log: every
// implementation runs it from its tests with Run.
package logtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"livefeed/server/eventlog"
)

// waitTimeout bounds every wait of the suite for something that should
// happen promptly.
const waitTimeout = 10 * time.Second

// Run runs the contract suite. open must return a new, empty log for each
// call (it is called once per subtest, with the subtest's t) and arrange
// for its cleanup; the suite closes the log itself too, so Close must be
// idempotent.
func Run(t *testing.T, open func(t *testing.T) eventlog.Log) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l eventlog.Log)
	}{
		{"SequencesIncrease", testSequencesIncrease},
		{"GetRoundTrip", testGetRoundTrip},
		{"GetMissing", testGetMissing},
		{"AppendCopiesData", testAppendCopiesData},
		{"ExpectLastEmptyFeed", testExpectLastEmptyFeed},
		{"ExpectLastStale", testExpectLastStale},
		{"ExpectLastPerFeed", testExpectLastPerFeed},
		{"MsgIDDedupe", testMsgIDDedupe},
		{"StorePipelined", testStorePipelined},
		{"ReadFeed", testReadFeed},
		{"ReadFeedEmptyRange", testReadFeedEmptyRange},
		{"ReadFeedFnError", testReadFeedFnError},
		{"FollowFromStart", testFollowFromStart},
		{"FollowFromMiddle", testFollowFromMiddle},
		{"FollowFromFuture", testFollowFromFuture},
		{"FollowFnError", testFollowFnError},
		{"FollowMany", testFollowMany},
		{"Bounds", testBounds},
		{"Trim", testTrim},
		{"TrimBeyondLast", testTrimBeyondLast},
		{"TrimWholeFeedExpectLast", testTrimWholeFeedExpectLast},
		{"TrimDuringRead", testTrimDuringRead},
		{"Snapshot", testSnapshot},
		{"SnapshotLarge", testSnapshotLarge},
		{"SnapshotNeverBackwards", testSnapshotNeverBackwards},
		{"ConcurrentExpectLast", testConcurrentExpectLast},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := open(t)
			t.Cleanup(func() { _ = l.Close() })
			tt.fn(t, l)
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, l eventlog.Log, feed, data string, opts eventlog.AppendOptions) uint64 {
	t.Helper()
	seq, dup, err := l.Append(testCtx(t), feed, []byte(data), opts)
	if err != nil {
		t.Fatalf("Append(%q, %q, %+v): %v", feed, data, opts, err)
	}
	if dup {
		t.Fatalf("Append(%q, %q, %+v): unexpected duplicate", feed, data, opts)
	}
	return seq
}

func checkBounds(t *testing.T, l eventlog.Log, wantFirst, wantLast uint64) {
	t.Helper()
	first, last, err := l.Bounds(testCtx(t))
	if err != nil {
		t.Fatalf("Bounds: %v", err)
	}
	if first != wantFirst || last != wantLast {
		t.Fatalf("Bounds = (%d, %d), want (%d, %d)", first, last, wantFirst, wantLast)
	}
}

func checkNotFound(t *testing.T, l eventlog.Log, seq uint64) {
	t.Helper()
	r, err := l.Get(testCtx(t), seq)
	if !errors.Is(err, eventlog.ErrNotFound) {
		t.Fatalf("Get(%d) = %+v, %v; want ErrNotFound", seq, r, err)
	}
}

// readFeed returns the sequences and data ReadFeed delivers.
func readFeed(t *testing.T, l eventlog.Log, feed string, from, to uint64) []eventlog.Record {
	t.Helper()
	var recs []eventlog.Record
	prev := uint64(0)
	err := l.ReadFeed(testCtx(t), feed, from, to, func(r eventlog.Record) error {
		if r.Seq <= prev {
			return fmt.Errorf("out of order: %d after %d", r.Seq, prev)
		}
		prev = r.Seq
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFeed(%q, %d, %d): %v", feed, from, to, err)
	}
	return recs
}

func seqs(recs []eventlog.Record) []uint64 {
	s := make([]uint64, len(recs))
	for i, r := range recs {
		s[i] = r.Seq
	}
	return s
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// follower runs Follow in a goroutine and hands over the records.
type follower struct {
	recs   chan eventlog.Record
	done   chan error
	cancel context.CancelFunc
}

func follow(t *testing.T, l eventlog.Log, from uint64) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	f := &follower{
		recs:   make(chan eventlog.Record, 1000),
		done:   make(chan error, 1),
		cancel: cancel,
	}
	go func() {
		f.done <- l.Follow(ctx, from, func(r eventlog.Record) error {
			f.recs <- r
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-f.done:
		case <-time.After(waitTimeout):
			t.Errorf("Follow did not return after cancel")
		}
	})
	return f
}

// next returns the next n records.
func (f *follower) next(t *testing.T, n int) []eventlog.Record {
	t.Helper()
	timeout := time.After(waitTimeout)
	var recs []eventlog.Record
	for len(recs) < n {
		select {
		case r := <-f.recs:
			recs = append(recs, r)
		case err := <-f.done:
			t.Fatalf("Follow returned %v after %d of %d records", err, len(recs), n)
		case <-timeout:
			t.Fatalf("Follow delivered %d of %d records (%v) in %s", len(recs), n, seqs(recs), waitTimeout)
		}
	}
	return recs
}

// idle checks that nothing more is delivered for a short while.
func (f *follower) idle(t *testing.T) {
	t.Helper()
	select {
	case r := <-f.recs:
		t.Fatalf("Follow delivered unexpected record %d", r.Seq)
	case err := <-f.done:
		t.Fatalf("Follow returned early: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
}

func testSequencesIncrease(t *testing.T, l eventlog.Log) {
	feeds := []string{"a", "b", "a", "c", "b", "a"}
	for i, feed := range feeds {
		if got := mustAppend(t, l, feed, fmt.Sprint(i), eventlog.AppendOptions{}); got != uint64(i+1) {
			t.Fatalf("append %d to %q: seq %d, want %d", i, feed, got, i+1)
		}
	}
}

func testGetRoundTrip(t *testing.T, l eventlog.Log) {
	before := time.Now()
	mustAppend(t, l, "other", "x", eventlog.AppendOptions{})
	seq := mustAppend(t, l, "feed-1", "hello", eventlog.AppendOptions{})
	after := time.Now()
	r, err := l.Get(testCtx(t), seq)
	if err != nil {
		t.Fatalf("Get(%d): %v", seq, err)
	}
	if r.Seq != seq || r.Feed != "feed-1" || string(r.Data) != "hello" {
		t.Fatalf("Get(%d) = %+v", seq, r)
	}
	if r.Time.Before(before.Add(-time.Second)) || r.Time.After(after.Add(time.Second)) {
		t.Fatalf("Get(%d).Time = %v, want within [%v, %v]", seq, r.Time, before, after)
	}
	empty := mustAppend(t, l, "feed-1", "", eventlog.AppendOptions{})
	if r, err := l.Get(testCtx(t), empty); err != nil || len(r.Data) != 0 || r.Feed != "feed-1" {
		t.Fatalf("Get(%d) of empty record = %+v, %v", empty, r, err)
	}
}

func testGetMissing(t *testing.T, l eventlog.Log) {
	checkNotFound(t, l, 1)
	checkNotFound(t, l, 0)
	mustAppend(t, l, "a", "x", eventlog.AppendOptions{})
	checkNotFound(t, l, 0)
	checkNotFound(t, l, 2)
	checkNotFound(t, l, 1000)
}

func testAppendCopiesData(t *testing.T, l eventlog.Log) {
	data := []byte("original")
	seq, _, err := l.Append(testCtx(t), "a", data, eventlog.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	copy(data, "CHANGED!")
	r, err := l.Get(testCtx(t), seq)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Data) != "original" {
		t.Fatalf("stored data changed with the caller's slice: %q", r.Data)
	}
	copy(r.Data, "CHANGED!")
	if r, _ := l.Get(testCtx(t), seq); string(r.Data) != "original" {
		t.Fatalf("stored data changed with a returned slice: %q", r.Data)
	}
}

func testExpectLastEmptyFeed(t *testing.T, l eventlog.Log) {
	// Empty log.
	if seq := mustAppend(t, l, "a", "1", eventlog.AppendOptions{ExpectLast: true}); seq != 1 {
		t.Fatalf("seq %d, want 1", seq)
	}
	// Empty feed in a non-empty log.
	if seq := mustAppend(t, l, "b", "1", eventlog.AppendOptions{ExpectLast: true, LastSeq: 0}); seq != 2 {
		t.Fatalf("seq %d, want 2", seq)
	}
	// Non-empty feed: 0 no longer holds.
	_, _, err := l.Append(testCtx(t), "a", []byte("2"), eventlog.AppendOptions{ExpectLast: true})
	if !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("ExpectLast 0 on non-empty feed: err = %v, want ErrConflict", err)
	}
	checkBounds(t, l, 1, 2)
}

func testExpectLastStale(t *testing.T, l eventlog.Log) {
	s1 := mustAppend(t, l, "a", "1", eventlog.AppendOptions{ExpectLast: true})
	s2 := mustAppend(t, l, "a", "2", eventlog.AppendOptions{ExpectLast: true, LastSeq: s1})
	for _, stale := range []uint64{s1, s2 + 1, 99} {
		seq, _, err := l.Append(testCtx(t), "a", []byte("stale"), eventlog.AppendOptions{ExpectLast: true, LastSeq: stale})
		if !errors.Is(err, eventlog.ErrConflict) {
			t.Fatalf("ExpectLast %d (last is %d): seq %d, err %v; want ErrConflict", stale, s2, seq, err)
		}
	}
	checkBounds(t, l, 1, s2)
	if got := seqs(readFeed(t, l, "a", 0, 0)); !equalSeqs(got, []uint64{s1, s2}) {
		t.Fatalf("feed a = %v after conflicts, want %v", got, []uint64{s1, s2})
	}
	mustAppend(t, l, "a", "3", eventlog.AppendOptions{ExpectLast: true, LastSeq: s2})
}

func testExpectLastPerFeed(t *testing.T, l eventlog.Log) {
	a1 := mustAppend(t, l, "a", "1", eventlog.AppendOptions{ExpectLast: true})
	b1 := mustAppend(t, l, "b", "1", eventlog.AppendOptions{ExpectLast: true})
	mustAppend(t, l, "b", "2", eventlog.AppendOptions{ExpectLast: true, LastSeq: b1})
	mustAppend(t, l, "c", "1", eventlog.AppendOptions{})
	// Feed a's last is still a1 even though the log moved on.
	mustAppend(t, l, "a", "2", eventlog.AppendOptions{ExpectLast: true, LastSeq: a1})
}

func testMsgIDDedupe(t *testing.T, l eventlog.Log) {
	first := mustAppend(t, l, "a", "first", eventlog.AppendOptions{MsgID: "m1"})
	mustAppend(t, l, "a", "other", eventlog.AppendOptions{MsgID: "m2"})
	for _, feed := range []string{"a", "b"} {
		seq, dup, err := l.Append(testCtx(t), feed, []byte("again"), eventlog.AppendOptions{MsgID: "m1"})
		if err != nil || !dup || seq != first {
			t.Fatalf("second append of m1 to %q = %d, %v, %v; want %d, true, nil", feed, seq, dup, err, first)
		}
	}
	checkBounds(t, l, 1, 2)
	if r, err := l.Get(testCtx(t), first); err != nil || string(r.Data) != "first" {
		t.Fatalf("Get(%d) = %+v, %v", first, r, err)
	}
	// Another id is appended normally.
	if seq := mustAppend(t, l, "a", "third", eventlog.AppendOptions{MsgID: "m3"}); seq != 3 {
		t.Fatalf("seq %d, want 3", seq)
	}
}

// testStorePipelined: records stored one after the other, each expecting
// the previous one stored but not yet waited for, are the feed's records
// in that order once WaitDurable of the last returns; a stale expectation
// and a resent MsgID are answered as by Append.
func testStorePipelined(t *testing.T, l eventlog.Log) {
	ctx := testCtx(t)
	var stored []uint64
	last := uint64(0)
	for i := range 5 {
		seq, dup, err := l.Store(ctx, "a", fmt.Appendf(nil, "r%d", i), eventlog.AppendOptions{ExpectLast: true, LastSeq: last, MsgID: fmt.Sprint("p", i)})
		if err != nil || dup {
			t.Fatalf("Store %d expecting %d = %d, %v, %v", i, last, seq, dup, err)
		}
		if seq <= last {
			t.Fatalf("Store %d = %d, not after %d", i, seq, last)
		}
		stored, last = append(stored, seq), seq
	}
	if _, _, err := l.Store(ctx, "a", []byte("stale"), eventlog.AppendOptions{ExpectLast: true, LastSeq: stored[3]}); !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("Store expecting a record before the last one stored: %v, want ErrConflict", err)
	}
	seq, dup, err := l.Store(ctx, "a", []byte("again"), eventlog.AppendOptions{MsgID: "p2"})
	if err != nil || !dup || seq != stored[2] {
		t.Fatalf("Store of a stored MsgID = %d, %v, %v; want %d, duplicate", seq, dup, err, stored[2])
	}
	if err := l.WaitDurable(ctx, last); err != nil {
		t.Fatalf("WaitDurable(%d): %v", last, err)
	}
	got := readFeed(t, l, "a", 0, 0)
	if len(got) != len(stored) {
		t.Fatalf("ReadFeed after WaitDurable = %v, want %v", seqs(got), stored)
	}
	for i, r := range got {
		if r.Seq != stored[i] || string(r.Data) != fmt.Sprint("r", i) {
			t.Fatalf("record %d = %d %q, want %d r%d", i, r.Seq, r.Data, stored[i], i)
		}
	}
}

func testReadFeed(t *testing.T, l eventlog.Log) {
	// a: 1 3 4 6 8; b: 2 5 7
	var a, b []uint64
	for i, feed := range []string{"a", "b", "a", "a", "b", "a", "b", "a"} {
		seq := mustAppend(t, l, feed, fmt.Sprintf("%s%d", feed, i), eventlog.AppendOptions{})
		if feed == "a" {
			a = append(a, seq)
		} else {
			b = append(b, seq)
		}
	}
	all := readFeed(t, l, "a", 0, 0)
	if !equalSeqs(seqs(all), a) {
		t.Fatalf("ReadFeed(a, 0, 0) = %v, want %v", seqs(all), a)
	}
	for _, r := range all {
		if r.Feed != "a" || r.Data[0] != 'a' || r.Time.IsZero() {
			t.Fatalf("ReadFeed(a) delivered %+v", r)
		}
	}
	tests := []struct {
		feed     string
		from, to uint64
		want     []uint64
	}{
		{"a", 1, 0, a},
		{"b", 0, 0, b},
		{"a", 3, 6, []uint64{3, 4, 6}},
		{"a", 2, 5, []uint64{3, 4}},
		{"a", 4, 4, []uint64{4}},
		{"a", 5, 5, nil},
		{"a", 5, 7, []uint64{6}},
		{"a", 7, 0, []uint64{8}},
		{"a", 8, 100, []uint64{8}},
		{"b", 3, 0, []uint64{5, 7}},
		{"b", 1, 2, []uint64{2}},
	}
	for _, tt := range tests {
		if got := seqs(readFeed(t, l, tt.feed, tt.from, tt.to)); !equalSeqs(got, tt.want) {
			t.Errorf("ReadFeed(%s, %d, %d) = %v, want %v", tt.feed, tt.from, tt.to, got, tt.want)
		}
	}
}

func testReadFeedEmptyRange(t *testing.T, l eventlog.Log) {
	start := time.Now()
	check := func(feed string, from, to uint64) {
		t.Helper()
		if got := readFeed(t, l, feed, from, to); len(got) != 0 {
			t.Fatalf("ReadFeed(%s, %d, %d) = %v, want nothing", feed, from, to, seqs(got))
		}
	}
	check("a", 0, 0) // empty log
	check("a", 1, 10)
	mustAppend(t, l, "a", "1", eventlog.AppendOptions{})
	mustAppend(t, l, "b", "2", eventlog.AppendOptions{})
	check("c", 0, 0)  // empty feed
	check("a", 2, 0)  // after the feed's last record
	check("a", 3, 0)  // after the log's last record
	check("a", 2, 2)  // only another feed's record
	check("a", 5, 10) // in the future
	check("a", 2, 1)  // from > to
	if d := time.Since(start); d > waitTimeout/2 {
		t.Fatalf("empty reads took %s", d)
	}
}

func testReadFeedFnError(t *testing.T, l eventlog.Log) {
	for i := range 5 {
		mustAppend(t, l, "a", fmt.Sprint(i), eventlog.AppendOptions{})
	}
	stop := errors.New("stop")
	var n int
	err := l.ReadFeed(testCtx(t), "a", 0, 0, func(eventlog.Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("ReadFeed = %v after %d records, want the fn's error after 2", err, n)
	}
}

func testFollowFromStart(t *testing.T, l eventlog.Log) {
	for i, feed := range []string{"a", "b", "a"} {
		mustAppend(t, l, feed, fmt.Sprint(i), eventlog.AppendOptions{})
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	recs := make(chan eventlog.Record, 100)
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(ctx, 1, func(r eventlog.Record) error {
			recs <- r
			return nil
		})
	}()
	f := &follower{recs: recs, done: done, cancel: cancel}
	got := f.next(t, 3)
	if !equalSeqs(seqs(got), []uint64{1, 2, 3}) {
		t.Fatalf("Follow delivered %v, want [1 2 3]", seqs(got))
	}
	if got[1].Feed != "b" || string(got[1].Data) != "1" || got[1].Time.IsZero() {
		t.Fatalf("Follow delivered %+v", got[1])
	}
	f.idle(t)
	mustAppend(t, l, "c", "3", eventlog.AppendOptions{})
	mustAppend(t, l, "a", "4", eventlog.AppendOptions{})
	got = f.next(t, 2)
	if !equalSeqs(seqs(got), []uint64{4, 5}) || got[0].Feed != "c" || got[1].Feed != "a" {
		t.Fatalf("Follow delivered %+v, want records 4 (c) and 5 (a)", got)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Fatalf("Follow returned %v, want context.Canceled", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Follow did not return after cancel")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Follow took %s to return after cancel", d)
	}
}

func testFollowFromMiddle(t *testing.T, l eventlog.Log) {
	for i := range 5 {
		mustAppend(t, l, "a", fmt.Sprint(i), eventlog.AppendOptions{})
	}
	f := follow(t, l, 3)
	if got := seqs(f.next(t, 3)); !equalSeqs(got, []uint64{3, 4, 5}) {
		t.Fatalf("Follow(3) delivered %v, want [3 4 5]", got)
	}
	f.idle(t)
	mustAppend(t, l, "b", "5", eventlog.AppendOptions{})
	if got := seqs(f.next(t, 1)); got[0] != 6 {
		t.Fatalf("Follow(3) delivered %v, want [6]", got)
	}
}

func testFollowFromFuture(t *testing.T, l eventlog.Log) {
	mustAppend(t, l, "a", "1", eventlog.AppendOptions{})
	f := follow(t, l, 3)
	f.idle(t)
	mustAppend(t, l, "a", "2", eventlog.AppendOptions{})
	f.idle(t)
	mustAppend(t, l, "a", "3", eventlog.AppendOptions{})
	if got := seqs(f.next(t, 1)); got[0] != 3 {
		t.Fatalf("Follow(3) delivered %v, want [3]", got)
	}
}

func testFollowFnError(t *testing.T, l eventlog.Log) {
	for i := range 3 {
		mustAppend(t, l, "a", fmt.Sprint(i), eventlog.AppendOptions{})
	}
	stop := errors.New("stop")
	var n int
	err := l.Follow(testCtx(t), 0, func(eventlog.Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Fatalf("Follow = %v after %d records, want the fn's error after 2", err, n)
	}
	// Also while waiting for new records.
	done := make(chan error, 1)
	ctx := testCtx(t)
	go func() {
		done <- l.Follow(ctx, 4, func(eventlog.Record) error { return stop })
	}()
	mustAppend(t, l, "a", "3", eventlog.AppendOptions{})
	select {
	case err := <-done:
		if err != stop {
			t.Fatalf("Follow = %v, want the fn's error", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Follow did not return the fn's error")
	}
}

func testFollowMany(t *testing.T, l eventlog.Log) {
	const n = 1200
	appendMany(t, l, n/2)
	f := follow(t, l, 1)
	appendMany(t, l, n/2)
	got := f.next(t, n)
	for i, r := range got {
		if r.Seq != uint64(i+1) {
			t.Fatalf("Follow delivered %d as record #%d", r.Seq, i+1)
		}
	}
}

// appendMany appends n records alternately to feeds a and b.
func appendMany(t *testing.T, l eventlog.Log, n int) {
	t.Helper()
	ctx := testCtx(t)
	for i := range n {
		feed := [...]string{"a", "b"}[i%2]
		if _, _, err := l.Append(ctx, feed, fmt.Append(nil, i), eventlog.AppendOptions{}); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
}

func testBounds(t *testing.T, l eventlog.Log) {
	checkBounds(t, l, 1, 0)
	mustAppend(t, l, "a", "1", eventlog.AppendOptions{})
	checkBounds(t, l, 1, 1)
	mustAppend(t, l, "b", "2", eventlog.AppendOptions{})
	mustAppend(t, l, "a", "3", eventlog.AppendOptions{})
	checkBounds(t, l, 1, 3)
}

func testTrim(t *testing.T, l eventlog.Log) {
	ctx := testCtx(t)
	for i, feed := range []string{"a", "b", "a", "b", "a"} {
		mustAppend(t, l, feed, fmt.Sprint(i), eventlog.AppendOptions{})
	}
	for _, before := range []uint64{0, 1} {
		if err := l.Trim(ctx, before); err != nil {
			t.Fatalf("Trim(%d): %v", before, err)
		}
		checkBounds(t, l, 1, 5)
	}
	if err := l.Trim(ctx, 3); err != nil {
		t.Fatalf("Trim(3): %v", err)
	}
	checkBounds(t, l, 3, 5)
	checkNotFound(t, l, 1)
	checkNotFound(t, l, 2)
	for seq := uint64(3); seq <= 5; seq++ {
		if r, err := l.Get(ctx, seq); err != nil || r.Seq != seq {
			t.Fatalf("Get(%d) after Trim(3) = %+v, %v", seq, r, err)
		}
	}
	if got := seqs(readFeed(t, l, "a", 0, 0)); !equalSeqs(got, []uint64{3, 5}) {
		t.Fatalf("ReadFeed(a) after Trim(3) = %v, want [3 5]", got)
	}
	if got := seqs(readFeed(t, l, "b", 1, 3)); len(got) != 0 {
		t.Fatalf("ReadFeed(b, 1, 3) after Trim(3) = %v, want nothing", got)
	}
	f := follow(t, l, 1)
	if got := seqs(f.next(t, 3)); !equalSeqs(got, []uint64{3, 4, 5}) {
		t.Fatalf("Follow(1) after Trim(3) = %v, want [3 4 5]", got)
	}
	// Trimming less than what is already trimmed does nothing.
	if err := l.Trim(ctx, 2); err != nil {
		t.Fatalf("Trim(2): %v", err)
	}
	checkBounds(t, l, 3, 5)
	// Trimming up to the last record.
	if err := l.Trim(ctx, 5); err != nil {
		t.Fatalf("Trim(5): %v", err)
	}
	checkBounds(t, l, 5, 5)
	// Appends continue the sequence and reach the follower.
	if seq := mustAppend(t, l, "a", "5", eventlog.AppendOptions{}); seq != 6 {
		t.Fatalf("append after Trim: seq %d, want 6", seq)
	}
	if got := seqs(f.next(t, 1)); got[0] != 6 {
		t.Fatalf("Follow delivered %v after Trim, want [6]", got)
	}
}

func testTrimBeyondLast(t *testing.T, l eventlog.Log) {
	ctx := testCtx(t)
	for i := range 3 {
		mustAppend(t, l, "a", fmt.Sprint(i), eventlog.AppendOptions{})
	}
	if err := l.Trim(ctx, 100); err != nil {
		t.Fatalf("Trim(100): %v", err)
	}
	checkBounds(t, l, 4, 3)
	checkNotFound(t, l, 3)
	if got := readFeed(t, l, "a", 0, 0); len(got) != 0 {
		t.Fatalf("ReadFeed(a) after trimming everything = %v", seqs(got))
	}
	// The next record is still 4.
	if seq := mustAppend(t, l, "a", "3", eventlog.AppendOptions{}); seq != 4 {
		t.Fatalf("append after Trim(100): seq %d, want 4", seq)
	}
	checkBounds(t, l, 4, 4)
	// Trimming an empty log is fine too.
	if err := l.Trim(ctx, 5); err != nil {
		t.Fatalf("Trim(5): %v", err)
	}
	checkBounds(t, l, 5, 4)
	if err := l.Trim(ctx, 5); err != nil {
		t.Fatalf("Trim(5) again: %v", err)
	}
}

// testTrimDuringRead: records trimmed while ReadFeed runs may or may not
// be delivered, but ReadFeed delivers in order and returns.
func testTrimDuringRead(t *testing.T, l eventlog.Log) {
	const n = 800
	appendMany(t, l, n)
	ctx := testCtx(t)
	var got []uint64
	err := l.ReadFeed(ctx, "a", 0, 0, func(r eventlog.Record) error {
		if len(got) == 0 {
			if err := l.Trim(ctx, n+1); err != nil {
				return err
			}
		}
		got = append(got, r.Seq)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFeed with Trim: %v", err)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("ReadFeed delivered %d after %d", got[i], got[i-1])
		}
	}
	checkBounds(t, l, n+1, n)
	if got := readFeed(t, l, "a", 0, 0); len(got) != 0 {
		t.Fatalf("ReadFeed after Trim delivered %v", seqs(got))
	}
}

// testTrimWholeFeedExpectLast: a feed whose records were all trimmed is
// empty, for ExpectLast too.
func testTrimWholeFeedExpectLast(t *testing.T, l eventlog.Log) {
	a1 := mustAppend(t, l, "a", "1", eventlog.AppendOptions{})
	b1 := mustAppend(t, l, "b", "1", eventlog.AppendOptions{})
	if err := l.Trim(testCtx(t), b1); err != nil {
		t.Fatal(err)
	}
	_, _, err := l.Append(testCtx(t), "a", []byte("2"), eventlog.AppendOptions{ExpectLast: true, LastSeq: a1})
	if !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("ExpectLast with a trimmed last record: err = %v, want ErrConflict", err)
	}
	mustAppend(t, l, "a", "2", eventlog.AppendOptions{ExpectLast: true, LastSeq: 0})
	mustAppend(t, l, "b", "2", eventlog.AppendOptions{ExpectLast: true, LastSeq: b1})
}

func testSnapshot(t *testing.T, l eventlog.Log) {
	ctx := testCtx(t)
	if seq, data, err := l.LoadSnapshot(ctx); !errors.Is(err, eventlog.ErrNotFound) {
		t.Fatalf("LoadSnapshot on a fresh log = %d, %q, %v; want ErrNotFound", seq, data, err)
	}
	check := func(wantSeq uint64, want []byte) {
		t.Helper()
		seq, data, err := l.LoadSnapshot(ctx)
		if err != nil {
			t.Fatalf("LoadSnapshot: %v", err)
		}
		if seq != wantSeq || !bytes.Equal(data, want) {
			t.Fatalf("LoadSnapshot = %d, %q; want %d, %q", seq, data, wantSeq, want)
		}
	}
	if err := l.SaveSnapshot(ctx, 5, []byte("state at 5")); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	check(5, []byte("state at 5"))
	if err := l.SaveSnapshot(ctx, 9, []byte("state at 9")); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	check(9, []byte("state at 9"))
	if err := l.SaveSnapshot(ctx, 10, nil); err != nil {
		t.Fatalf("SaveSnapshot(empty): %v", err)
	}
	check(10, nil)
	// Snapshots are not records.
	checkBounds(t, l, 1, 0)
}

func testSnapshotLarge(t *testing.T, l eventlog.Log) {
	ctx := testCtx(t)
	big := make([]byte, 3<<20)
	_, _ = rand.Read(big)
	if err := l.SaveSnapshot(ctx, 1<<40, big); err != nil {
		t.Fatalf("SaveSnapshot(3 MB): %v", err)
	}
	seq, data, err := l.LoadSnapshot(ctx)
	if err != nil {
		t.Fatalf("LoadSnapshot: %v", err)
	}
	if seq != 1<<40 || !bytes.Equal(data, big) {
		t.Fatalf("LoadSnapshot = %d, %d bytes (equal: %v); want %d, %d bytes", seq, len(data), bytes.Equal(data, big), uint64(1<<40), len(big))
	}
	small := []byte("small again")
	if err := l.SaveSnapshot(ctx, 1<<40+7, small); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	if seq, data, err := l.LoadSnapshot(ctx); err != nil || seq != 1<<40+7 || !bytes.Equal(data, small) {
		t.Fatalf("LoadSnapshot = %d, %d bytes, %v; want %d, %q", seq, len(data), err, uint64(1<<40+7), small)
	}
}

// testSnapshotNeverBackwards: a snapshot older than the stored one (a
// node that lags) is refused with ErrStaleSnapshot and changes nothing.
func testSnapshotNeverBackwards(t *testing.T, l eventlog.Log) {
	ctx := testCtx(t)
	if err := l.SaveSnapshot(ctx, 9, []byte("state at 9")); err != nil {
		t.Fatalf("SaveSnapshot: %v", err)
	}
	if err := l.SaveSnapshot(ctx, 8, []byte("state at 8")); !errors.Is(err, eventlog.ErrStaleSnapshot) {
		t.Fatalf("SaveSnapshot(8) after 9 = %v, want ErrStaleSnapshot", err)
	}
	if seq, data, err := l.LoadSnapshot(ctx); err != nil || seq != 9 || string(data) != "state at 9" {
		t.Fatalf("LoadSnapshot = %d, %q, %v; want 9, %q", seq, data, err, "state at 9")
	}
	if err := l.SaveSnapshot(ctx, 9, []byte("state at 9 again")); err != nil {
		t.Fatalf("SaveSnapshot at the same position: %v", err)
	}
}

// testConcurrentExpectLast: writers racing on one feed with ExpectLast and
// retries build a chain where every record was appended knowing the
// previous one.
func testConcurrentExpectLast(t *testing.T, l eventlog.Log) {
	const (
		writers = 8
		each    = 15
	)
	type success struct{ seq, expected uint64 }
	var (
		mu        sync.Mutex
		successes []success
		wg        sync.WaitGroup
	)
	ctx := testCtx(t)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			var last uint64 // this writer's idea of the feed's last record
			for i := 0; i < each; {
				seq, _, err := l.Append(ctx, "shared", fmt.Appendf(nil, "w%d-%d", w, i),
					eventlog.AppendOptions{ExpectLast: true, LastSeq: last})
				switch {
				case err == nil:
					mu.Lock()
					successes = append(successes, success{seq, last})
					mu.Unlock()
					last = seq
					i++
					// Some noise on another feed.
					if i%5 == 0 {
						if _, _, err := l.Append(ctx, "noise", nil, eventlog.AppendOptions{}); err != nil {
							errs <- fmt.Errorf("writer %d: Append(noise): %w", w, err)
							return
						}
					}
				case errors.Is(err, eventlog.ErrConflict):
					// Catch up: the feed's last record is the last one
					// after ours.
					err := l.ReadFeed(ctx, "shared", last+1, 0, func(r eventlog.Record) error {
						last = r.Seq
						return nil
					})
					if err != nil {
						errs <- fmt.Errorf("writer %d: ReadFeed: %w", w, err)
						return
					}
				default:
					errs <- fmt.Errorf("writer %d: Append: %w", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	chain := seqs(readFeed(t, l, "shared", 0, 0))
	if len(chain) != writers*each || len(successes) != writers*each {
		t.Fatalf("feed has %d records, %d appends succeeded; want %d", len(chain), len(successes), writers*each)
	}
	prev := make(map[uint64]uint64, len(chain))
	for i, seq := range chain {
		if i > 0 {
			prev[seq] = chain[i-1]
		} else {
			prev[seq] = 0
		}
	}
	for _, s := range successes {
		want, ok := prev[s.seq]
		if !ok {
			t.Fatalf("append returned seq %d, not in the feed", s.seq)
		}
		if s.expected != want {
			t.Fatalf("record %d was appended expecting last %d, but the previous record is %d", s.seq, s.expected, want)
		}
	}
}

func testClose(t *testing.T, l eventlog.Log) {
	mustAppend(t, l, "a", "1", eventlog.AppendOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	delivered := make(chan struct{}, 10)
	go func() {
		done <- l.Follow(ctx, 1, func(eventlog.Record) error {
			delivered <- struct{}{}
			return nil
		})
	}()
	select {
	case <-delivered:
	case <-time.After(waitTimeout):
		t.Fatal("Follow delivered nothing")
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, eventlog.ErrClosed) {
			t.Fatalf("Follow returned %v after Close, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Follow did not return after Close")
	}
	if _, _, err := l.Append(testCtx(t), "a", []byte("2"), eventlog.AppendOptions{}); !errors.Is(err, eventlog.ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	if _, err := l.Get(testCtx(t), 1); !errors.Is(err, eventlog.ErrClosed) {
		t.Fatalf("Get after Close: %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
