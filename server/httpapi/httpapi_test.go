package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestPostRateLimit: over the HTTP API a user may post PostRate a second in
// bursts of twice as many; the next post gets 429 with rate_limited,
// retry_after_ms and Retry-After, and is not applied; its retry with the
// same op, after the wait, posts it once.
func TestPostRateLimit(t *testing.T) {
	const rate = 1 // bursts of 2: even a slow machine posts two within the second a token takes
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.PostRate = rate })
	ada, _ := tn.SignIn(t, "Ada")
	bob, _ := tn.SignIn(t, "Bob")
	post := func(token, op string) (*http.Response, []byte) { return tn.Post(t, "main", token, op, "post "+op) }
	for i := range 2 * rate {
		if resp, b := post(ada, fmt.Sprint("a", i)); resp.StatusCode != http.StatusOK {
			t.Fatalf("post %d of the burst: HTTP %d %s", i+1, resp.StatusCode, b)
		}
	}
	resp, b := post(ada, "over")
	var body struct{ Error protocol.Error }
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("429 body %s: %v", b, err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || body.Error.Code != protocol.CodeRateLimited ||
		body.Error.RetryAfterMS <= 0 || body.Error.RetryAfterMS > 1000/rate+1 || resp.Header.Get("Retry-After") != "1" || body.Error.Op != "over" {
		t.Fatalf("over the limit: HTTP %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if resp, b := post(bob, "b0"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another user: HTTP %d %s", resp.StatusCode, b)
	}
	texts := func() map[string]int {
		n := map[string]int{}
		for _, p := range tn.Service.View().Snapshot("main").Posts {
			n[p.Text]++
		}
		return n
	}
	if n := texts()["post over"]; n != 0 {
		t.Fatalf("the refused post was applied %d times", n)
	}
	// Retried after the wait, with the same op: posted, once.
	waitMS := body.Error.RetryAfterMS
	for {
		resp, b := post(ada, "over")
		if resp.StatusCode == http.StatusOK {
			break
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("retry: HTTP %d %s", resp.StatusCode, b)
		}
		if waitMS > 5000 {
			t.Fatalf("still limited after %d ms", waitMS)
		}
		json.Unmarshal(b, &body)
		waitMS += body.Error.RetryAfterMS
		time.Sleep(time.Duration(body.Error.RetryAfterMS) * time.Millisecond)
	}
	if n := texts()["post over"]; n != 1 {
		t.Fatalf("the retried post is in the feed %d times, want 1", n)
	}
}

// TestReadyzFollowsTheService: /readyz is 200 while the node takes writes
// and 503, with the reason, once the feed service has stopped following the
// log (before, it stayed 200: it only reported the start-up).
func TestReadyzFollowsTheService(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	get := func() (int, string) {
		resp, b := tn.Get(t, "/readyz")
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusOK {
		t.Fatalf("ready node: %d %s", code, body)
	}
	tn.Log.Close() // the follower fails
	wait.For(t, 10*time.Second, 20*time.Millisecond, func() error {
		code, body := get()
		if code != http.StatusServiceUnavailable {
			return fmt.Errorf("/readyz still %d (%s) after the feed service stopped", code, body)
		}
		t.Logf("after the log closed: %d %s", code, body)
		return nil
	})
}

// TestMetricsOnlyFromLoopback: /metrics on the main address answers this
// machine only; a client from elsewhere, or one a trusted proxy forwards,
// gets 404.
func TestMetricsOnlyFromLoopback(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	for _, c := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5000", http.StatusOK},
		{"[::1]:5000", http.StatusOK},
		{"203.0.113.9:5000", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = c.remote
		tn.Handler.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("/metrics from %s: %d, want %d", c.remote, rec.Code, c.want)
		}
	}
}

// TestOnlyPublicHost: with Hosts set (--public-url), a request for another
// host name (a DNS-rebinding page) gets 421 and changes nothing; health
// checks answer any host.
func TestOnlyPublicHost(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.Hosts = []string{"feed.example.com"} })
	for _, c := range []struct {
		method, path, host string
		want               int
	}{
		{"GET", "/api/feeds/main", "feed.example.com", http.StatusOK},
		{"GET", "/api/feeds/main", "FEED.example.com", http.StatusOK},
		{"GET", "/api/feeds/main", "rebind.attacker.example", http.StatusMisdirectedRequest},
		{"POST", "/api/session", "127.0.0.1:8080", http.StatusMisdirectedRequest},
		{"GET", "/ws", "rebind.attacker.example", http.StatusMisdirectedRequest},
		{"GET", "/readyz", "10.0.0.7:8080", http.StatusOK},
		{"GET", "/healthz", "anything", http.StatusOK},
	} {
		req, _ := http.NewRequest(c.method, tn.Srv.URL+c.path, strings.NewReader(`{"name":"Mallory"}`))
		req.Host = c.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s Host %s: %d, want %d", c.method, c.path, c.host, resp.StatusCode, c.want)
		}
	}
}
