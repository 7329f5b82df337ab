package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"livefeed/shared/protocol"
)

// TestTransportFlag: post over each transport lands once and tail over a
// stream replays it; behind a proxy that refuses upgrades (here: none),
// auto remembers the rung that worked in the config directory; a wrong
// value is refused with the choices.
func TestTransportFlag(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir())
	server := "http://" + addr
	dir := t.TempDir()
	var posted []protocol.Event
	for _, tr := range []string{"ws", "stream", "poll", "auto"} {
		out, err := cliIn(t, dir, "post", "--server", server, "--feed", "team", "--name", "Ada", "--transport", tr, "over "+tr)
		if err != nil {
			t.Fatalf("post --transport %s: %v", tr, err)
		}
		var e protocol.Event
		if err := json.Unmarshal([]byte(out), &e); err != nil || e.Text != "over "+tr {
			t.Fatalf("post --transport %s printed %q", tr, out)
		}
		posted = append(posted, e)
	}
	b, err := os.ReadFile(filepath.Join(dir, "transport.json"))
	if err != nil || !strings.Contains(string(b), `"transport": "ws"`) || !strings.Contains(string(b), server) {
		t.Fatalf("transport.json: %s %v", b, err)
	}
	if _, err := cliIn(t, dir, "post", "--server", server, "--transport", "carrier-pigeon", "x"); err == nil || !strings.Contains(err.Error(), "want auto, ws, stream or poll") {
		t.Fatalf("bad --transport: %v", err)
	}
	resp, err := http.Get(server + "/api/feeds/team")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	snap := string(body)
	for _, e := range posted {
		if strings.Count(snap, `"text":"`+e.Text+`"`) != 1 {
			t.Fatalf("%q is not in the feed once: %s", e.Text, snap)
		}
	}
}
