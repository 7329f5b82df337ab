package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRoundTripEveryType(t *testing.T) {
	u := User{ID: "u1", Name: "Ada"}
	msgs := []Message{
		Hello{Client: "test/1", Subs: []Sub{{Feed: "main", Mode: ModeResume, Pos: 41}, {Feed: "ops", Mode: ModeSnapshot}}},
		Subscribe{Sub{Feed: "x-1", Mode: ModeLive}},
		Unsubscribe{Feed: "x-1"},
		Action{Op: "op1", Feed: "main", Text: "hello"}.WithKind(TypePost),
		Action{Op: "op2", Feed: "main", ID: "p3", Text: "hello again"}.WithKind(TypeEdit),
		Action{Op: "op3", Feed: "main", ID: "p3"}.WithKind(TypeDelete),
		Action{Op: "op4", Feed: "main", ID: "p3", Emoji: "👍"}.WithKind(TypeReact),
		Welcome{Version: Version, Node: "n1", User: u, HeartbeatMS: 10000},
		Welcome{Version: Version, Node: "n1", User: u, HeartbeatMS: 10000, AppVersion: "3f2a9c1d04be"},
		Snapshot{Feed: "main", Pos: 9, Posts: []Post{{ID: "p3", Feed: "main", Author: u, Text: "hi", Created: 1, Edited: 2, Pos: 3,
			Reactions: []Reaction{{Emoji: "🎉", Users: []User{u}}}}}},
		Event{Feed: "main", Pos: 10, Prev: 9, Time: 5, Kind: KindReact, Op: "op4", Author: u, ID: "p3", Emoji: "👍", On: true},
		Ack{Op: "op1", Feed: "main", Pos: 10, ID: "p10", Duplicate: true, Event: &Event{Feed: "main", Pos: 10, Kind: KindPost, ID: "p10", Text: "x"}},
		&Error{Code: CodeForbidden, Message: "not yours", Op: "op2", Feed: "main", Temporary: true, RetryAfterMS: 5},
		HistoryGone{Feed: "main", Pos: 2, First: 50},
		Presence{Feed: "main", Online: []User{u}, Count: 1234},
		GoAway{Reason: "restart", RetryMinMS: 100, RetryMaxMS: 5000},
		Heartbeat{Time: 123},
		Heartbeat{Time: 124, Probe: true},
		Subscribed{Feed: "main", Pos: 77},
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		b, err := Encode(m)
		checkEnvelope(t, m, b)
		if err != nil {
			t.Fatalf("encode %T: %v", m, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %s:\n got  %#v\n want %#v", m.MsgType(), got, m)
		}
		seen[m.MsgType()] = true
	}
	for _, typ := range []string{TypeHello, TypeSubscribe, TypeUnsubscribe, TypePost, TypeEdit, TypeDelete, TypeReact,
		TypeWelcome, TypeSnapshot, TypeEvent, TypeAck, TypeError, TypeHistoryGone, TypePresence, TypeGoAway, TypeHeartbeat, TypeSubscribed} {
		if !seen[typ] {
			t.Errorf("no round trip for %s", typ)
		}
	}
}

// checkEnvelope fails unless b, Encode's output for m, is the marshalled
// Envelope of m (Encode writes the envelope itself).
func checkEnvelope(t *testing.T, m Message, b []byte) {
	t.Helper()
	data, _ := json.Marshal(m)
	if want, _ := json.Marshal(Envelope{Type: m.MsgType(), Data: data}); !bytes.Equal(b, want) {
		t.Errorf("Encode(%T) = %s, want %s", m, b, want)
	}
}

// TestEncodeIsEnvelope: text that JSON escapes (HTML characters, quotes,
// control and non-ASCII characters, U+2028) comes out of Encode as out of
// the Envelope's marshalling.
func TestEncodeIsEnvelope(t *testing.T) {
	for _, text := range []string{"", "<script>alert(1)</script> & co", "\"quoted\" \\ back", "tab\tnl\n\x01", "é 👍 \u2028\u2029", "\xff"} {
		u := User{ID: "u<1>", Name: text}
		for _, m := range []Message{
			Event{Feed: "main", Pos: 2, Prev: 1, Kind: KindPost, Author: u, ID: "p2", Text: text},
			Snapshot{Feed: "main", Pos: 2, Posts: []Post{{ID: "p2", Feed: "main", Author: u, Text: text, Reactions: []Reaction{{Emoji: text, Users: []User{u}}}}}},
			Presence{Feed: "main", Online: []User{u}, Count: 1},
			&Error{Code: CodeBadField, Message: text},
		} {
			b, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			checkEnvelope(t, m, b)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	long := strings.Repeat("é", MaxTextChars+1)
	cases := []struct {
		name, in, code string
	}{
		{"invalid utf8", "{\"type\":\"post\",\"data\":{\"op\":\"a\",\"feed\":\"main\",\"text\":\"\xff\"}}", CodeBadUTF8},
		{"not json", `{"type":`, CodeBadJSON},
		{"array", `[1,2]`, CodeBadJSON},
		{"no type", `{"data":{}}`, CodeMissingField},
		{"unknown type", `{"type":"launch"}`, CodeUnknownType},
		{"wrong type of field", `{"type":"post","data":{"op":1,"feed":"main","text":"x"}}`, CodeBadField},
		{"missing op", `{"type":"post","data":{"feed":"main","text":"x"}}`, CodeMissingField},
		{"bad op", `{"type":"post","data":{"op":"a b","feed":"main","text":"x"}}`, CodeBadField},
		{"missing feed", `{"type":"post","data":{"op":"a","text":"x"}}`, CodeMissingField},
		{"bad feed", `{"type":"post","data":{"op":"a","feed":"Main!","text":"x"}}`, CodeBadFeed},
		{"missing text", `{"type":"post","data":{"op":"a","feed":"main"}}`, CodeMissingField},
		{"blank text", `{"type":"post","data":{"op":"a","feed":"main","text":"  \n "}}`, CodeInvalidText},
		{"long text", `{"type":"post","data":{"op":"a","feed":"main","text":"` + long + `"}}`, CodeInvalidText},
		{"edit without id", `{"type":"edit","data":{"op":"a","feed":"main","text":"x"}}`, CodeMissingField},
		{"react bad emoji", `{"type":"react","data":{"op":"a","feed":"main","id":"p1","emoji":"x"}}`, CodeBadReaction},
		{"hello bad mode", `{"type":"hello","data":{"subs":[{"feed":"main","mode":"later"}]}}`, CodeBadField},
		{"hello dup feed", `{"type":"hello","data":{"subs":[{"feed":"a","mode":"live"},{"feed":"a","mode":"live"}]}}`, CodeBadField},
		{"hello negative pos", `{"type":"hello","data":{"subs":[{"feed":"a","mode":"resume","pos":-1}]}}`, CodeBadField},
		{"unsubscribe no feed", `{"type":"unsubscribe","data":{}}`, CodeMissingField},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.in))
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("Decode(%q) = %v, want *Error %s", c.in, err, c.code)
			}
			if e.Code != c.code {
				t.Fatalf("Decode(%q) code %s (%s), want %s", c.in, e.Code, e.Message, c.code)
			}
		})
	}
}

func TestTooManySubs(t *testing.T) {
	var subs []string
	for i := 0; i <= MaxSubscriptions; i++ {
		subs = append(subs, `{"feed":"f`+strings.Repeat("a", i+1)+`","mode":"live"}`)
	}
	ok := `{"type":"hello","data":{"subs":[` + strings.Join(subs[:MaxSubscriptions], ",") + `]}}`
	if _, err := Decode([]byte(ok)); err != nil {
		t.Fatalf("MaxSubscriptions subs rejected: %v", err)
	}
	over := `{"type":"hello","data":{"subs":[` + strings.Join(subs, ",") + `]}}`
	_, err := Decode([]byte(over))
	if e, _ := AsError(err); e == nil || e.Code != CodeTooManySubs {
		t.Fatalf("MaxSubscriptions+1 subs: %v", err)
	}
}

func TestLimitsAtEdge(t *testing.T) {
	if _, e := CheckText(strings.Repeat("ü", MaxTextChars)); e != nil {
		t.Errorf("text of MaxTextChars rejected: %v", e)
	}
	if _, e := CheckText(" " + strings.Repeat("a", MaxTextChars) + "\n"); e != nil {
		t.Errorf("text of MaxTextChars plus surrounding space rejected: %v", e)
	}
	if _, e := CheckText(strings.Repeat("a", MaxTextChars+1)); e == nil {
		t.Errorf("text of MaxTextChars+1 accepted")
	}
	if _, e := CheckName(strings.Repeat("名", MaxNameChars)); e != nil {
		t.Errorf("name of MaxNameChars rejected: %v", e)
	}
	if _, e := CheckName(strings.Repeat("n", MaxNameChars+1)); e == nil {
		t.Errorf("name of MaxNameChars+1 accepted")
	}
	if _, e := CheckName("a\x07b"); e == nil {
		t.Errorf("name with control char accepted")
	}
	for _, bad := range []string{strings.Repeat("\x00", MaxTextChars), "a\x00b", "a\x1bb", "a\x7fb", "a\u0085b", "a\u009fb"} {
		if _, e := CheckText(bad); e == nil || e.Code != CodeInvalidText {
			t.Errorf("text %q: %v, want invalid_text", bad, e)
		}
	}
	if got, e := CheckText("line one\n\tindented\r\nline three"); e != nil || !strings.Contains(got, "\t") {
		t.Errorf("tabs and line breaks: %q, %v", got, e)
	}
	if _, e := CheckText("a\u00a0b"); e != nil {
		t.Errorf("no-break space (U+00A0, the first after C1) rejected: %v", e)
	}
	if !ValidOpID(strings.Repeat("a", MaxOpIDBytes)) || ValidOpID(strings.Repeat("a", MaxOpIDBytes+1)) {
		t.Errorf("op id limit wrong")
	}
	if !ValidFeed(strings.Repeat("a", 32)) || ValidFeed(strings.Repeat("a", 33)) || ValidFeed("-a") || ValidFeed("") {
		t.Errorf("feed pattern wrong")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"hello","data":{"subs":[{"feed":"main","mode":"resume","pos":3}]}}`))
	f.Add([]byte(`{"type":"post","data":{"op":"a1","feed":"main","text":"hi"}}`))
	f.Add([]byte(`{"type":"react","data":{"op":"a1","feed":"main","id":"p1","emoji":"👍"}}`))
	f.Add([]byte(`{"type":"event","data":{"feed":"main","pos":2,"prev":1,"kind":"post"}}`))
	f.Add([]byte("{\"type\":\"post\",\"data\":{\"text\":\"\xff\"}}"))
	f.Add([]byte(`{"type":"presence","data":{"feed":"main","online":[{"id":"u1","name":"Ada"}],"count":7}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type":"snapshot","data":{"posts":[{"reactions":[]}]}}`))
	// Resume positions of hello: huge, negative, fractional, strings.
	f.Add([]byte(`{"type":"hello","data":{"subs":[{"feed":"main","mode":"resume","pos":18446744073709551615}]}}`))
	f.Add([]byte(`{"type":"hello","data":{"subs":[{"feed":"main","mode":"resume","pos":-1}]}}`))
	f.Add([]byte(`{"type":"hello","data":{"subs":[{"feed":"main","mode":"resume","pos":1.5}]}}`))
	f.Add([]byte(`{"type":"hello","data":{"subs":[{"feed":"main","mode":"resume","pos":"7"}]}}`))
	f.Add([]byte(`{"type":"subscribe","data":{"feed":"main","mode":"resume","pos":1e30}}`))
	f.Add([]byte(`{"type":"hello","data":{"subs":[]},"data":{"subs":[{"feed":"x","mode":"live"}]}}`))
	f.Add([]byte(`{"type":"hello","data":{"subs":[]},"type":"post"}`))
	f.Add([]byte(`{"type":"hello","data":null}`))
	f.Add([]byte(`{"type":"hello","data":{}} `))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		// The fast path decodes as the envelope does, errors included.
		if utf8.Valid(b) {
			m2, err2 := decodeEnvelope(b)
			if fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(m, m2) {
				t.Fatalf("%q: Decode = %#v, %v; by the envelope %#v, %v", b, m, err, m2, err2)
			}
		}
		if err != nil {
			if _, ok := AsError(err); !ok {
				t.Fatalf("Decode returned a non-protocol error %T: %v", err, err)
			}
			return
		}
		// Whatever decodes must encode, and decode again to a message
		// that encodes to the same bytes. (Not a DeepEqual of the two
		// values: on the wire an empty list and an absent one are the
		// same, "omitempty", so [] decodes to an empty slice and comes
		// back nil.)
		out, err := Encode(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		out2, err := Encode(m2)
		if err != nil {
			t.Fatalf("re-encode of %s: %v", out, err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("unstable: %s encodes as %s, then as %s", b, out, out2)
		}
	})
}

// TestWelcomeAppVersion: the server's app version travels in welcome as
// app_version; a server that does not send it (or sends it empty) leaves
// it empty and encodes no field, and a client that knows no such field
// still reads the rest.
func TestWelcomeAppVersion(t *testing.T) {
	cases := []struct {
		in  string
		app string
	}{
		{`{"type":"welcome","data":{"version":1,"node":"node-1","user":{"id":"u1","name":"Ada"},"heartbeat_ms":10000,"app_version":"3f2a9c1d04be"}}`, "3f2a9c1d04be"},
		{`{"type":"welcome","data":{"version":1,"node":"node-1","user":{"id":"u1","name":"Ada"},"heartbeat_ms":10000}}`, ""},
	}
	for _, c := range cases {
		m, err := Decode([]byte(c.in))
		if err != nil {
			t.Fatalf("Decode(%s): %v", c.in, err)
		}
		w := m.(Welcome)
		if w.AppVersion != c.app || w.Node != "node-1" || w.HeartbeatMS != 10000 {
			t.Errorf("%s: decoded %+v, want app version %q", c.in, w, c.app)
		}
		out := string(MustEncode(w))
		if got := strings.Contains(out, `"app_version"`); got != (c.app != "") {
			t.Errorf("%+v encodes as %s: app_version present %v, want %v", w, out, got, c.app != "")
		}
		// A client of the first protocol version: Welcome without app_version.
		var env struct {
			Data struct {
				Node        string `json:"node"`
				HeartbeatMS int64  `json:"heartbeat_ms"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(c.in), &env); err != nil || env.Data.Node != "node-1" || env.Data.HeartbeatMS != 10000 {
			t.Errorf("old client reading %s: %+v, %v", c.in, env.Data, err)
		}
	}
}

// TestPresenceCount: Total is the count, or the list's length from a server
// that sends no count; a client that knows no count still reads the list.
func TestPresenceCount(t *testing.T) {
	ada, bob := User{ID: "u1", Name: "Ada"}, User{ID: "u2", Name: "Bob"}
	cases := []struct {
		in          string
		total, more int
	}{
		{`{"type":"presence","data":{"feed":"main","online":[{"id":"u1","name":"Ada"},{"id":"u2","name":"Bob"}],"count":120}}`, 120, 118},
		{`{"type":"presence","data":{"feed":"main","online":[{"id":"u1","name":"Ada"},{"id":"u2","name":"Bob"}]}}`, 2, 0},
		{`{"type":"presence","data":{"feed":"main","online":[{"id":"u1","name":"Ada"},{"id":"u2","name":"Bob"}],"count":1}}`, 2, 0},
	}
	for _, c := range cases {
		m, err := Decode([]byte(c.in))
		if err != nil {
			t.Fatalf("Decode(%s): %v", c.in, err)
		}
		p := m.(Presence)
		if p.Total() != c.total || p.More() != c.more || !reflect.DeepEqual(p.Online, []User{ada, bob}) {
			t.Errorf("%s: total %d more %d online %v; want %d, %d", c.in, p.Total(), p.More(), p.Online, c.total, c.more)
		}
		// A client of the first protocol version: Presence without count.
		var env struct {
			Data struct {
				Feed   string `json:"feed"`
				Online []User `json:"online"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(c.in), &env); err != nil || len(env.Data.Online) != 2 {
			t.Errorf("old client reading %s: %v, %v", c.in, env.Data.Online, err)
		}
	}
}

// TestPresenceListFitsAFrame: a presence message at MaxPresenceList users
// with the longest names (each character escaped to 6 bytes by JSON), the
// server's ids and the longest feed name stays under MaxFrameBytes.
func TestPresenceListFitsAFrame(t *testing.T) {
	p := Presence{Feed: strings.Repeat("f", 32), Count: 1 << 30}
	for i := range MaxPresenceList {
		name := strings.Repeat("<", MaxNameChars)
		if _, e := CheckName(name); e != nil {
			t.Fatal(e)
		}
		p.Online = append(p.Online, User{ID: fmt.Sprintf("u%012d", i), Name: name})
	}
	b := MustEncode(p)
	t.Logf("worst case: %d bytes", len(b))
	if len(b) > MaxFrameBytes {
		t.Fatalf("presence of MaxPresenceList users is %d bytes, over MaxFrameBytes %d", len(b), MaxFrameBytes)
	}
}

// TestReactionEventsSayOn: a reaction taken back is sent with "on":false,
// not without the field (a client reading it would find nothing).
func TestReactionEventsSayOn(t *testing.T) {
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: KindReact, ID: "p1", Emoji: "🎉", On: false}, `"on":false`},
		{Event{Kind: KindReact, ID: "p1", Emoji: "🎉", On: true}, `"on":true`},
		{Event{Kind: KindPost, ID: "p1", Text: "hi"}, ""},
	} {
		b := MustEncode(c.e)
		has := strings.Contains(string(b), `"on":`)
		if c.want == "" && has || c.want != "" && (!strings.Contains(string(b), c.want) || strings.Count(string(b), `"on":`) != 1) {
			t.Errorf("%s event encodes as %s", c.e.Kind, b)
		}
		m, err := Decode(b)
		if err != nil || m.(Event) != c.e {
			t.Errorf("round trip of %s: %+v, %v", b, m, err)
		}
	}
}

// TestHeartCodePoints: the heart is U+2764 U+FE0F exactly, as
// docs/protocol.md names it; the bare U+2764 is refused.
func TestHeartCodePoints(t *testing.T) {
	if !ValidReaction("\u2764\ufe0f") || ValidReaction("\u2764") {
		t.Fatal("the heart must be U+2764 U+FE0F, and only that")
	}
	want := []string{"\U0001F44D", "\u2764\ufe0f", "\U0001F602", "\U0001F389", "\U0001F62E", "\U0001F622"}
	if fmt.Sprint(Reactions) != fmt.Sprint(want) {
		t.Fatalf("Reactions are %q, the doc names %q", Reactions, want)
	}
}
