package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"livefeed/server/clientip"
	"livefeed/server/feed"
	"livefeed/server/httpapi"
	"livefeed/server/internal/softauthn"
	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// behindProxy starts a node that trusts 127.0.0.1 as its reverse proxy, so
// that a test can come from any client address with X-Forwarded-For.
func behindProxy(t *testing.T, mod func(*node.Config)) *testnode.Node {
	r, err := clientip.New([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return testnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.ClientIP = r
		if mod != nil {
			mod(c)
		}
	})
}

func request(t *testing.T, method, url, from, token, body string) (*http.Response, protocol.Error) {
	t.Helper()
	resp, b := testnode.Request(t, method, url, token, body, "X-Forwarded-For", from)
	var e struct{ Error protocol.Error }
	json.Unmarshal(b, &e)
	return resp, e.Error
}

func signInFrom(t *testing.T, tn *testnode.Node, from, name string) (*http.Response, string) {
	t.Helper()
	resp, _ := request(t, "POST", tn.Srv.URL+"/api/session", from, "", fmt.Sprintf(`{"name":%q}`, name))
	return resp, resp.Header.Get("Set-Cookie")
}

// TestSignInRatePerAddress: one client address may sign in SignInBurst
// times at once, then gets 429 with Retry-After; another address, and the
// same one a second later, may sign in. (Before, sign-ins were unlimited:
// about 2,765 a second, each a new user.)
func TestSignInRatePerAddress(t *testing.T) {
	tn := behindProxy(t, nil)
	for i := range httpapi.SignInBurst {
		if resp, _ := signInFrom(t, tn, "198.51.100.1", fmt.Sprint("office ", i)); resp.StatusCode != http.StatusOK {
			t.Fatalf("sign-in %d of a burst of %d: HTTP %d", i+1, httpapi.SignInBurst, resp.StatusCode)
		}
	}
	resp, e := request(t, "POST", tn.Srv.URL+"/api/session", "198.51.100.1", "", `{"name":"one more"}`)
	if resp.StatusCode != http.StatusTooManyRequests || e.Code != protocol.CodeRateLimited || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-in %d: HTTP %d %+v Retry-After %q", httpapi.SignInBurst+1, resp.StatusCode, e, resp.Header.Get("Retry-After"))
	}
	if resp.Header.Get("Set-Cookie") != "" {
		t.Fatal("a refused sign-in set a cookie")
	}
	if resp, _ := signInFrom(t, tn, "198.51.100.2", "elsewhere"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another address: HTTP %d", resp.StatusCode)
	}
	// A client that sends X-Forwarded-For itself, not through the proxy,
	// does not choose its address: covered by clientip's tests.
}

// TestNewFeedsPerUserAndAddress: a user may create DefaultNewFeedRate feeds
// at once, then gets 429 for a new feed (posting to existing feeds still
// works); so may a client address, whatever users it signs in as. (Before,
// 260 sign-ins made 10,009 feeds in 6 s and locked everyone out.)
func TestNewFeedsPerUserAndAddress(t *testing.T) {
	tn := behindProxy(t, func(c *node.Config) { c.PostRate = -1 })
	post := func(from, token, feed string) (*http.Response, protocol.Error) {
		return request(t, "POST", tn.Srv.URL+"/api/feeds/"+feed+"/posts", from, token, `{"text":"hi"}`)
	}
	token, _ := tn.SignIn(t, "Creator")
	for i := range feed.DefaultNewFeedRate {
		if resp, e := post("198.51.100.10", token, fmt.Sprint("f", i)); resp.StatusCode != http.StatusOK {
			t.Fatalf("new feed %d of %d: HTTP %d %+v", i+1, feed.DefaultNewFeedRate, resp.StatusCode, e)
		}
	}
	resp, e := post("198.51.100.11", token, "one-more") // the user's limit, from any address
	if resp.StatusCode != http.StatusTooManyRequests || e.Code != protocol.CodeRateLimited || e.RetryAfterMS <= 0 {
		t.Fatalf("feed %d: HTTP %d %+v", feed.DefaultNewFeedRate+1, resp.StatusCode, e)
	}
	if resp, e := post("198.51.100.10", token, "f0"); resp.StatusCode != http.StatusOK {
		t.Fatalf("posting to an existing feed after the limit: HTTP %d %+v", resp.StatusCode, e)
	}

	// The address's limit: fresh users from one address share it.
	for i := 0; ; i++ {
		u, _ := tn.SignIn(t, fmt.Sprint("fresh ", i))
		resp, e := post("198.51.100.20", u, fmt.Sprint("g", i))
		if resp.StatusCode == http.StatusOK {
			if i >= feed.DefaultNewFeedRate {
				t.Fatalf("address made %d new feeds", i+1)
			}
			continue
		}
		if i != feed.DefaultNewFeedRate || e.Code != protocol.CodeRateLimited {
			t.Fatalf("address refused at feed %d: HTTP %d %+v", i+1, resp.StatusCode, e)
		}
		break
	}
	if resp, e := post("198.51.100.21", token, "f1"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another address, existing feed: HTTP %d %+v", resp.StatusCode, e)
	}
}

// TestAccountRequestsShareSignInRate: every account request that signs in
// or changes an account (sign-up, passkey sign-in, adding a passkey,
// renaming, removing a passkey, deleting) counts against its address's
// sign-in rate: SignInBurst pass, the next gets 429 and changes nothing.
func TestAccountRequestsShareSignInRate(t *testing.T) {
	tn := behindProxy(t, nil)
	acc := signUp(t, tn, &softauthn.Authenticator{}, "rita", "Rita", "")
	for i, c := range []struct{ method, path, token, body string }{
		{"POST", "/api/account/sign-up/begin", "", `{"handle":"someone","name":"S"}`},
		{"POST", "/api/account/sign-in/begin", "", ``},
		{"POST", "/api/account/passkeys/begin", "", `{"handle":"rita","code":"WRONGCODE0"}`},
		{"PATCH", "/api/account", acc.Token, `{"name":"Rita"}`},
		{"DELETE", "/api/account/passkeys/AAAA", acc.Token, ``},
		{"DELETE", "/api/account", acc.Token, `{"confirm":"not_rita"}`},
	} {
		from := fmt.Sprintf("198.51.100.%d", 100+i)
		for n := range httpapi.SignInBurst {
			if resp, e := request(t, c.method, tn.Srv.URL+c.path, from, c.token, c.body); resp.StatusCode == http.StatusTooManyRequests {
				t.Fatalf("%s %s: request %d of a burst of %d refused: %+v", c.method, c.path, n+1, httpapi.SignInBurst, e)
			}
		}
		resp, e := request(t, c.method, tn.Srv.URL+c.path, from, c.token, c.body)
		if resp.StatusCode != http.StatusTooManyRequests || e.Code != protocol.CodeRateLimited {
			t.Fatalf("%s %s: request %d: HTTP %d %+v, want 429", c.method, c.path, httpapi.SignInBurst+1, resp.StatusCode, e)
		}
	}
}
