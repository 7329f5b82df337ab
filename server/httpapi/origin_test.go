package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"livefeed/server/internal/testnode"
	"livefeed/server/node"
)

// TestCookieRequestsFromOtherOrigins: a state-changing request that uses the
// session cookie is refused (403, nothing stored) unless it comes from the
// app's own origin, scheme included, or an allowed one; bearer requests and
// requests with no browser headers are not affected. Before, a page on
// another port of 127.0.0.1 could post as the person, and any page could
// replace their sign-in.
func TestCookieRequestsFromOtherOrigins(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.OriginPatterns = []string{"app.example.com", "https://secure.example.com"} })
	token, _ := tn.SignIn(t, "Victim")
	self := tn.Srv.URL // http://127.0.0.1:PORT
	host := strings.TrimPrefix(self, "http://")
	cases := []struct {
		name    string
		method  string
		path    string
		bearer  bool
		headers map[string]string
		allowed bool
	}{
		{"own origin", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": self}, true},
		{"another port, same site", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "http://127.0.0.1:1"}, false},
		{"localhost", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "http://localhost:" + strings.Split(host, ":")[1]}, false},
		{"same host, other scheme", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "https://" + host}, false},
		{"opaque origin (sandboxed frame)", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "null"}, false},
		{"allowed pattern", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "http://app.example.com"}, true},
		{"pattern with a scheme, wrong scheme", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "http://secure.example.com"}, false},
		{"pattern with a scheme", "POST", "/api/feeds/main/posts", false, map[string]string{"Origin": "https://secure.example.com"}, true},
		{"no Origin, cross-site fetch metadata", "POST", "/api/feeds/main/posts", false, map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"no Origin, same-origin fetch metadata", "POST", "/api/feeds/main/posts", false, map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"not a browser (no headers)", "POST", "/api/feeds/main/posts", false, nil, true},
		{"bearer from anywhere", "POST", "/api/feeds/main/posts", true, map[string]string{"Origin": "http://evil.example"}, true},
		{"login CSRF", "POST", "/api/session", false, map[string]string{"Origin": "http://evil.example"}, false},
		{"sign-out CSRF", "DELETE", "/api/session", false, map[string]string{"Origin": "http://evil.example"}, false},
		{"reading is not checked", "GET", "/api/feeds/main", false, map[string]string{"Origin": "http://evil.example"}, true},
	}
	posted := 0
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body string
			switch c.path {
			case "/api/session":
				body = `{"name":"Mallory"}`
			case "/api/feeds/main/posts":
				body = `{"op":"csrf-` + string(rune('a'+i)) + `","text":"case ` + c.name + `"}`
			}
			req, _ := http.NewRequest(c.method, self+c.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "text/plain") // what a form or no-cors fetch can send
			if c.bearer {
				req.Header.Set("Authorization", "Bearer "+token)
			} else {
				req.AddCookie(&http.Cookie{Name: "livefeed_session", Value: token})
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.StatusCode != http.StatusForbidden; got != c.allowed {
				t.Fatalf("HTTP %d, allowed = %v, want %v", resp.StatusCode, got, c.allowed)
			}
			if c.allowed && c.method == "POST" && c.path == "/api/feeds/main/posts" {
				posted++
			}
			if !c.allowed && resp.Header.Get("Set-Cookie") != "" {
				t.Fatalf("a refused request set a cookie: %s", resp.Header.Get("Set-Cookie"))
			}
		})
	}
	resp, err := http.Get(self + "/api/feeds/main")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap struct{ Posts []struct{ Text string } }
	json.NewDecoder(resp.Body).Decode(&snap)
	if len(snap.Posts) != posted {
		t.Fatalf("%d posts stored, %d allowed: %+v", len(snap.Posts), posted, snap.Posts)
	}
}
