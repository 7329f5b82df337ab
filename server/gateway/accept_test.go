package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

// TestUpgradeNegotiatesNoExtension: whatever extensions a client offers,
// permessage-deflate above all, the upgrade agrees to none. Compression of
// a session's secrets next to text an attacker chooses leaks them (CRIME,
// BREACH); the read limit would count decompressed bytes; and the frames the
// gateway makes once per event (package wsframe) are plain ones.
func TestUpgradeNegotiatesNoExtension(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	tok, _ := tn.SignIn(t, "Ada")
	addr := strings.TrimPrefix(tn.Srv.URL, "http://")
	for _, offer := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; client_no_context_takeover; server_no_context_takeover",
		"permessage-deflate; server_max_window_bits=10, permessage-deflate",
		"x-webkit-deflate-frame",
	} {
		t.Run(offer, func(t *testing.T) {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(nc, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
				"Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\nSec-WebSocket-Version: 13\r\n"+
				"Sec-WebSocket-Protocol: %s\r\nSec-WebSocket-Extensions: %s\r\nAuthorization: Bearer %s\r\n\r\n",
				addr, protocol.Subprotocol, offer, tok)
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("upgrade: %s", resp.Status)
			}
			if ext := resp.Header.Values("Sec-WebSocket-Extensions"); len(ext) > 0 {
				t.Fatalf("the server agreed to the extension %q", ext)
			}
		})
	}

	// A native client of coder/websocket that asks for compression gets a
	// plain connection, and it works.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, tn.WSURL(), &websocket.DialOptions{
		Subprotocols:    []string{protocol.Subprotocol},
		HTTPHeader:      http.Header{"Authorization": {"Bearer " + tok}},
		CompressionMode: websocket.CompressionContextTakeover,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(protocol.MaxClientReadBytes)
	if ext := resp.Header.Values("Sec-WebSocket-Extensions"); len(ext) > 0 {
		t.Fatalf("the server agreed to the extension %q", ext)
	}
	c := &testnode.Client{T: t, WS: ws}
	c.Hello(protocol.Sub{Feed: "main", Mode: protocol.ModeLive})
	testnode.Expect[protocol.Subscribed](c)
}
