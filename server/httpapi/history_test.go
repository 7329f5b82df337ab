package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"livefeed/server/httpapi"
	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

// TestHistoryEndpoint: GET /api/feeds/{feed}/history pages back through a
// feed's posts; bad positions get 400 with the reason; a position this node
// has not reached gets 503 with Retry-After once HistoryWait is over.
func TestHistoryEndpoint(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	token, _ := tn.SignIn(t, "Ada")
	var last uint64
	for i := 1; i <= 3; i++ {
		resp, b := tn.Post(t, "hist", token, fmt.Sprint("h", i), fmt.Sprint("old ", i))
		var ack protocol.Ack
		if err := json.Unmarshal(b, &ack); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("post %d: HTTP %d %s", i, resp.StatusCode, b)
		}
		last = ack.Pos
	}
	get := func(query string) (int, []byte, http.Header) {
		resp, b := tn.Get(t, "/api/feeds/hist/history"+query)
		return resp.StatusCode, b, resp.Header
	}

	code, b, _ := get(fmt.Sprintf("?before=%d&at=%d", last, last))
	var h protocol.History
	if err := json.Unmarshal(b, &h); err != nil || code != http.StatusOK {
		t.Fatalf("HTTP %d %s", code, b)
	}
	if len(h.Posts) != 2 || h.Posts[0].Text != "old 2" || h.Posts[1].Text != "old 1" || !h.End || h.Pos != last {
		t.Fatalf("page %s", b)
	}

	for _, q := range []string{"", "?before=0", "?before=x", "?before=-1", "?before=5&at=y"} {
		if code, b, _ := get(q); code != http.StatusBadRequest || !bytes.Contains(b, []byte(protocol.CodeBadField)) {
			t.Errorf("%q: HTTP %d %s", q, code, b)
		}
	}
	if resp, _ := tn.Get(t, "/api/feeds/Bad%20Name/history?before=1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad feed name: HTTP %d", resp.StatusCode)
	}

	start := time.Now()
	code, b, hd := get(fmt.Sprintf("?before=%d&at=%d", last, last+1000))
	if code != http.StatusServiceUnavailable || hd.Get("Retry-After") == "" || !bytes.Contains(b, []byte(`"temporary":true`)) {
		t.Fatalf("ahead of the node: HTTP %d %s", code, b)
	}
	if waited := time.Since(start); waited < httpapi.HistoryWait {
		t.Errorf("answered after %v, before HistoryWait %v", waited, httpapi.HistoryWait)
	}
}
