package protocol

import (
	"io"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestPeekPosition: the position the downlink reads off every encoded
// event, snapshot and subscribed (react events included, whose encoding
// differs) is the one Decode finds; other messages give their type only.
func TestPeekPosition(t *testing.T) {
	for _, m := range []Message{
		Event{Feed: "main", Pos: 42, Prev: 7, Kind: KindPost, Op: "o", ID: "p1", Text: `"quoted" "feed":"x","pos":1`},
		Event{Feed: "a-b_c", Pos: 1 << 40, Kind: KindReact, Op: "o", ID: "p1", Emoji: "👍"},
		Snapshot{Feed: "main", Pos: 9},
		Subscribed{Feed: "z9", Pos: 0},
	} {
		b := MustEncode(m)
		typ, feed, pos, ok := PeekPosition(b)
		d, _ := Decode(b)
		var wantFeed string
		var wantPos uint64
		switch d := d.(type) {
		case Event:
			wantFeed, wantPos = d.Feed, d.Pos
		case Snapshot:
			wantFeed, wantPos = d.Feed, d.Pos
		case Subscribed:
			wantFeed, wantPos = d.Feed, d.Pos
		}
		if !ok || typ != m.MsgType() || feed != wantFeed || pos != wantPos {
			t.Fatalf("%s: PeekPosition = %q %q %d %v, want %s %s %d", b, typ, feed, pos, ok, m.MsgType(), wantFeed, wantPos)
		}
	}
	for _, m := range []Message{Welcome{}, Presence{Feed: "main"}, GoAway{Reason: "restart"}, HistoryGone{Feed: "main", Pos: 3}, Heartbeat{Time: 1}} {
		b := MustEncode(m)
		if typ, _, _, ok := PeekPosition(b); ok || typ != m.MsgType() {
			t.Fatalf("%s: type %q, ok %v", b, typ, ok)
		}
	}
	for _, b := range []string{"", "{", `{"type":"event"`, `{"type":"event","data":{"feed":"main","pos":}}`, `{"type":"event","data":{"pos":3}}`} {
		if _, _, _, ok := PeekPosition([]byte(b)); ok {
			t.Fatalf("%q peeked", b)
		}
	}
}

func TestDownlinkQueryRoundTrip(t *testing.T) {
	subs := []Sub{{Feed: "a", Mode: ModeResume, Pos: 12, Epoch: "e:1"}, {Feed: "b", Mode: ModeSnapshot}, {Feed: "c", Mode: ModeLive}, {Feed: "d", Mode: ModeResume}}
	q, _ := url.ParseQuery(Downlink{Mode: HTTPStream, Client: "cli", Subs: subs, Continued: true, Conn: "c1"}.Query())
	d, err := ParseDownlink(q, "")
	got := d.Subs
	if err != nil || d.Mode != HTTPStream || d.Client != "cli" || !d.Continued || d.Conn != "c1" {
		t.Fatalf("%v %+v", err, d)
	}
	want := []Sub{{Feed: "a", Mode: ModeResume, Pos: 12, Epoch: "e:1"}, {Feed: "d", Mode: ModeResume}, {Feed: "b", Mode: ModeSnapshot}, {Feed: "c", Mode: ModeLive}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// Last-Event-ID takes over the positions it names.
	d, err = ParseDownlink(q, FormatCursor(map[string]uint64{"b": 5, "c": 6}, ""))
	got = d.Subs
	want = []Sub{{Feed: "a", Mode: ModeResume, Pos: 12, Epoch: "e:1"}, {Feed: "d", Mode: ModeResume}, {Feed: "b", Mode: ModeResume, Pos: 5}, {Feed: "c", Mode: ModeResume, Pos: 6}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("with Last-Event-ID: %v %+v", err, got)
	}
	// ... and its epoch, over the query's: the positions are of its log.
	d, err = ParseDownlink(q, FormatCursor(map[string]uint64{"a": 3, "b": 5}, "e2"))
	want = []Sub{{Feed: "a", Mode: ModeResume, Pos: 3, Epoch: "e2"}, {Feed: "d", Mode: ModeResume}, {Feed: "b", Mode: ModeResume, Pos: 5, Epoch: "e2"}, {Feed: "c", Mode: ModeLive}}
	if err != nil || !reflect.DeepEqual(d.Subs, want) {
		t.Fatalf("with Last-Event-ID and an epoch: %v %+v", err, d.Subs)
	}
}

func TestCursor(t *testing.T) {
	c := map[string]uint64{"main": 42, "b": 0, "z-1": 1 << 63}
	s := FormatCursor(c, "3f2a.k2j3")
	if s != "b:0,main:42,z-1:9223372036854775808;3f2a.k2j3" {
		t.Fatalf("cursor %q", s)
	}
	got, epoch, err := ParseCursor(s)
	if err != nil || !reflect.DeepEqual(got, c) || epoch != "3f2a.k2j3" {
		t.Fatalf("%v %q %v", got, epoch, err)
	}
	if s := FormatCursor(c, ""); s != "b:0,main:42,z-1:9223372036854775808" {
		t.Fatalf("cursor without an epoch %q", s)
	}
	if got, epoch, err := ParseCursor("main:4"); err != nil || got["main"] != 4 || epoch != "" {
		t.Fatalf("a cursor without an epoch: %v %q %v", got, epoch, err)
	}
	for _, bad := range []string{"main", "main:", "main:x", ":3", "Main:3", "a:1,,b:2", ";e", "a:1;e;f", "a:1;e,b:2"} {
		if _, _, err := ParseCursor(bad); err == nil {
			t.Fatalf("%q parsed", bad)
		}
	}
	// The epoch at its limit, and one byte over.
	for _, n := range []int{MaxEpochBytes, MaxEpochBytes + 1} {
		_, _, err := ParseCursor("a:1;" + strings.Repeat("e", n))
		if (err == nil) != (n <= MaxEpochBytes) {
			t.Fatalf("a cursor's epoch of %d bytes: %v", n, err)
		}
	}
	var many []string
	for i := range MaxSubscriptions + 1 {
		many = append(many, "f"+strings.Repeat("x", i)+":1")
	}
	if _, _, err := ParseCursor(strings.Join(many, ",")); err == nil {
		t.Fatal("a cursor over MaxSubscriptions parsed")
	}
}

func TestSSEReader(t *testing.T) {
	var b []byte
	b = append(b, ": a comment\n\n"...)
	b = AppendSSE(b, "main:1", []byte(`{"type":"event"}`))
	b = AppendSSE(b, "", []byte(`{"type":"heartbeat"}`))
	b = append(b, "id: x\r\ndata: a\r\ndata: b\r\n\r\n"...)
	r := NewSSEReader(strings.NewReader(string(b)))
	for _, want := range []struct{ data, id string }{{`{"type":"event"}`, "main:1"}, {`{"type":"heartbeat"}`, "main:1"}, {"a\nb", "x"}} {
		got, err := r.Next()
		if err != nil || string(got) != want.data || r.LastID != want.id {
			t.Fatalf("got %q (id %q) %v, want %q (id %q)", got, r.LastID, err, want.data, want.id)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
	// An event cut short is not an event.
	r = NewSSEReader(strings.NewReader("data: {\"type\""))
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Fatalf("cut event: %v", err)
	}
}

// TestDownlinkConnAtItsLimit: a conn of MaxConnIDBytes passes, one byte
// more is refused.
func TestDownlinkConnAtItsLimit(t *testing.T) {
	for _, n := range []int{MaxConnIDBytes, MaxConnIDBytes + 1} {
		q, _ := url.ParseQuery(Downlink{Mode: HTTPPoll, Conn: strings.Repeat("c", n)}.Query())
		_, err := ParseDownlink(q, "")
		if (err == nil) != (n <= MaxConnIDBytes) {
			t.Fatalf("conn of %d bytes: %v", n, err)
		}
	}
}

// TestDownlinkEpochAtItsLimit: a resume's epoch of MaxEpochBytes passes,
// one byte more is refused.
func TestDownlinkEpochAtItsLimit(t *testing.T) {
	for _, n := range []int{MaxEpochBytes, MaxEpochBytes + 1} {
		q, _ := url.ParseQuery(Downlink{Mode: HTTPPoll, Subs: []Sub{{Feed: "a", Mode: ModeResume, Pos: 1, Epoch: strings.Repeat("e", n)}}}.Query())
		_, err := ParseDownlink(q, "")
		if (err == nil) != (n <= MaxEpochBytes) {
			t.Fatalf("epoch of %d bytes: %v", n, err)
		}
	}
}
