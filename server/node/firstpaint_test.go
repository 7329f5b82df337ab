package node_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"livefeed/server/auth"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
)

// TestFirstPaint: a page request with a valid session cookie gets its
// user and the feed's newest posts from the node's view (bounded); one
// with no cookie, a forged one or a signed-out session gets nothing.
func TestFirstPaint(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	token, user := tn.SignIn(t, "Ada")
	for i := 1; i <= 5; i++ {
		if resp, b := tn.Post(t, "main", token, fmt.Sprint("op-", i), fmt.Sprint("post ", i)); resp.StatusCode != 200 {
			t.Fatalf("post: %d %s", resp.StatusCode, b)
		}
	}
	wait.Until(t, 10*time.Second, "posts in the view", func() bool { return len(tn.Service.View().Snapshot("main").Posts) == 5 })
	req := func(cookie string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, tn.Srv.URL+"/", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
		}
		return r
	}
	u, snap, begins, ok := tn.FirstPaint(req(token), "main", 3, 1<<20)
	if !ok || u != user || len(snap.Posts) != 3 || snap.Posts[0].Text != "post 5" || begins {
		t.Fatalf("signed in: %v %+v %d posts, begins %v", ok, u, len(snap.Posts), begins)
	}
	if _, snap, begins, _ := tn.FirstPaint(req(token), "main", 5, 1<<20); len(snap.Posts) != 5 || !begins {
		t.Errorf("the whole feed: %d posts, begins %v", len(snap.Posts), begins)
	}
	for _, c := range []string{"", "forged." + token} {
		if _, _, _, ok := tn.FirstPaint(req(c), "main", 3, 1<<20); ok {
			t.Errorf("cookie %q: a first paint", c)
		}
	}
	if resp, _ := testnode.Request(t, "DELETE", tn.Srv.URL+"/api/session", token, ""); resp.StatusCode/100 != 2 {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if _, _, _, ok := tn.FirstPaint(req(token), "main", 3, 1<<20); ok {
		t.Errorf("signed out: a first paint")
	}
}
