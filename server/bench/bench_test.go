//go:build linux

package bench

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 10000; i++ {
		h.record(time.Duration(i) * time.Microsecond) // 1 µs .. 10 ms
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 5}, {0.9, 9}, {0.99, 9.9}} {
		got := h.quantile(c.q)
		if math.Abs(got-c.want)/c.want > 0.04 {
			t.Errorf("q%.2f = %.3f ms, want %.3f ±4%%", c.q, got, c.want)
		}
	}
	if s := h.summary(); s.Max != 10 || s.Count != 10000 {
		t.Errorf("summary %+v", s)
	}
}

func TestStampAndFields(t *testing.T) {
	at := time.Unix(1795695424, 123456789)
	text := makeText(at, 3, 42, 100)
	if len(text) != 100 {
		t.Fatalf("text is %d bytes, want 100", len(text))
	}
	msg := protocol.MustEncode(protocol.Event{Feed: "bench0", Pos: 1234, Prev: 1200, Kind: "post",
		Author: protocol.User{ID: "u1", Name: `A "pos":9 name`}, ID: "p1234", Text: text})
	if got := string(typeOf(msg)); got != "event" {
		t.Errorf("type %q", got)
	}
	if got := string(strField(msg, keyFeed)); got != "bench0" {
		t.Errorf("feed %q", got)
	}
	if pos, ok := uintField(msg, keyPos); !ok || pos != 1234 {
		t.Errorf("pos %d %v", pos, ok)
	}
	if prev, ok := uintField(msg, keyPrev); !ok || prev != 1200 {
		t.Errorf("prev %d %v", prev, ok)
	}
	ts, step := stampOf(strField(msg, keyText))
	if ts != at.UnixNano() || step != 3 {
		t.Errorf("stamp %d step %d, want %d 3", ts, step, at.UnixNano())
	}
	if ts, _ := stampOf([]byte(makeText(at, -1, 1, 10))); ts != 0 {
		t.Errorf("warm-up text carries a stamp")
	}
}

func TestContinuity(t *testing.T) {
	f := &feedState{last: 10}
	f.onEvent(11, 10) // in order
	f.onEvent(11, 10) // duplicate
	f.onEvent(15, 13) // gap: 12..13 missing
	f.onEvent(13, 11) // late: out of order
	f.onEvent(16, 15)
	if d, dup, ooo, gaps := f.delivered.Load(), f.dup.Load(), f.ooo.Load(), f.gaps.Load(); d != 4 || dup != 1 || ooo != 1 || gaps != 1 {
		t.Errorf("delivered %d dup %d ooo %d gaps %d, want 4 1 1 1", d, dup, ooo, gaps)
	}
}

// serverFrame is an unmasked text frame, as a server sends.
func serverFrame(op byte, p []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
}

func TestReactorParse(t *testing.T) {
	r := &run{cfg: &Config{}, closes: map[string]int64{}, stopped: make(chan struct{})}
	c := &client{r: r, readyCh: make(chan error, 1)}
	c.feeds = []feedState{{info: &feedInfo{name: "main"}, name: []byte("main")}}
	c.pending = 1
	big := `{"type":"presence","data":{"feed":"main","online":[` + strings.Repeat(`{"id":"u","name":"n"},`, 5000) + `{"id":"u","name":"n"}]}}`
	var stream []byte
	stream = append(stream, serverFrame(opText, []byte(`{"type":"subscribed","data":{"feed":"main","pos":7}}`))...)
	stream = append(stream, serverFrame(opPing, []byte("1"))...)
	stream = append(stream, serverFrame(opText, []byte(big))...)
	for pos := uint64(8); pos < 20; pos++ {
		ev := protocol.MustEncode(protocol.Event{Feed: "main", Pos: pos, Prev: pos - 1, Kind: "post", Text: makeText(time.Now(), 0, pos, 1000)})
		stream = append(stream, serverFrame(opText, ev)...)
	}
	// Feed the stream in awkward pieces, as reads would return it.
	rc := &rconn{c: c, fd: -1, buf: make([]byte, 4096)}
	for off := 0; off < len(stream); {
		k := min(777, len(stream)-off, len(rc.buf)-rc.n)
		copy(rc.buf[rc.n:], stream[off:off+k])
		rc.n += k
		off += k
		if err := rc.parse(); err != nil {
			t.Fatal(err)
		}
		if rc.n == len(rc.buf) {
			rc.buf = append(rc.buf, make([]byte, len(rc.buf))...)
		}
	}
	f := &c.feeds[0]
	if !f.subscribed || f.subPos != 7 || f.last != 19 || f.delivered.Load() != 12 || f.gaps.Load() != 0 {
		t.Errorf("feed state: subscribed %v subPos %d last %d delivered %d gaps %d", f.subscribed, f.subPos, f.last, f.delivered.Load(), f.gaps.Load())
	}
	if got := r.messages.Load(); got != 14 {
		t.Errorf("%d messages, want 14", got)
	}
	if r.lat.n.Load() != 12 {
		t.Errorf("%d latencies, want 12", r.lat.n.Load())
	}
	if !c.ready.Load() {
		t.Error("client not ready after subscribed")
	}
}

// The last data and the end of the stream can arrive on one edge: the
// reactor must still see the EOF and hand the connection back.
func TestReactorSeesEndWithLastData(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ws := &wsConn{nc: nc, br: bufio.NewReader(nc)}
	fd, initial, err := ws.detach()
	if err != nil {
		t.Fatal(err)
	}
	re, err := newReactor(false)
	if err != nil {
		t.Fatal(err)
	}
	defer re.close()
	r := &run{cfg: &Config{}, closes: map[string]int64{}, stopped: make(chan struct{})}
	c := &client{r: r, readyCh: make(chan error, 1), goneCh: make(chan error, 1)}
	c.feeds = []feedState{{info: &feedInfo{name: "main"}, name: []byte("main")}}
	rc := &rconn{c: c, fd: fd, gone: func(err error) { c.goneCh <- err }}
	if err := re.add(rc, initial); err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	time.Sleep(20 * time.Millisecond) // registered and idle
	srv.Write(serverFrame(opText, []byte(`{"type":"heartbeat","data":{"ts":1}}`)))
	srv.Close()
	select {
	case <-c.goneCh:
	case <-time.After(3 * time.Second):
		t.Fatal("the connection's end was not seen")
	}
	if r.messages.Load() != 1 {
		t.Errorf("%d messages, want 1", r.messages.Load())
	}
}

// TestCentrifugoToken: an HS256 JWT with the user as sub and an expiry,
// signed with the secret.
func TestCentrifugoToken(t *testing.T) {
	now := time.Unix(1795695424, 0)
	tok := centrifugoToken("s3cret", "bench-7", now)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q: want three parts", tok)
	}
	dec := func(s string) string {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("part %q: %v", s, err)
		}
		return string(b)
	}
	if h := dec(parts[0]); h != `{"alg":"HS256","typ":"JWT"}` {
		t.Errorf("header %s", h)
	}
	if b, want := dec(parts[1]), fmt.Sprintf(`{"sub":"bench-7","exp":%d}`, now.Add(centrifugoTokenLife).Unix()); b != want {
		t.Errorf("claims %s, want %s", b, want)
	}
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal([]byte(dec(parts[2])), m.Sum(nil)) {
		t.Error("signature does not verify")
	}
}
