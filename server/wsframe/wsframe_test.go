package wsframe_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/wsframe"
)

// sizes covers each length encoding at its edges.
var sizes = []int{0, 1, 125, 126, 127, 0xFFFF, 0x10000, 200_000}

func payloadOf(n int) []byte {
	return bytes.Repeat([]byte("x"), n)
}

func TestHeaderLengths(t *testing.T) {
	for _, n := range sizes {
		f := wsframe.Text(payloadOf(n))
		want := 2
		switch {
		case n > 0xFFFF:
			want = 10
		case n > 125:
			want = 4
		}
		if h := len(f) - n; h != want {
			t.Errorf("payload %d: header %d bytes, want %d", n, h, want)
		}
		p, ok := wsframe.Payload(f)
		if !ok || len(p) != n {
			t.Errorf("payload %d: Payload gave %d bytes, ok %v", n, len(p), ok)
		}
	}
	if _, ok := wsframe.Payload([]byte{0x81, 5, 'a'}); ok {
		t.Error("a truncated frame was accepted")
	}
	if p := wsframe.Ping(); !bytes.Equal(p, []byte{0x89, 0x00}) {
		t.Errorf("Ping() = % x, want 89 00 (FIN, opcode 9, no payload)", p)
	}
}

// TestClientReadsFrames writes frames made by Text on a hand-upgraded
// connection and reads them with coder/websocket's client: the library must
// see one text message per frame, byte for byte.
func TestClientReadsFrames(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer nc.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n")
		for _, n := range sizes {
			brw.Write(wsframe.Text(payloadOf(n)))
		}
		brw.Flush()
		// Wait for the client's close frame (or its end).
		bufio.NewReader(nc).ReadByte()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for _, n := range sizes {
		typ, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("payload %d: %v", n, err)
		}
		if typ != websocket.MessageText || !bytes.Equal(b, payloadOf(n)) {
			t.Fatalf("payload %d: got type %v, %d bytes", n, typ, len(b))
		}
	}
}

func BenchmarkText(b *testing.B) {
	p := payloadOf(200)
	b.ReportAllocs()
	for b.Loop() {
		wsframe.Text(p)
	}
}
