package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"livefeed/server/eventlog"
	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// FuzzAPIBodies: any body to sign-in or to a bot's post gets a JSON answer
// with 200 or a 4xx and a typed error, never a 5xx or a panic; a post that
// is accepted (and not a repeat of an earlier op) is stored with the text
// CheckText made of it.
func FuzzAPIBodies(f *testing.F) {
	tn := testnode.Start(f, f.TempDir(), func(c *node.Config) {
		c.Sync = eventlog.SyncPeriodic
		c.PostRate, c.SignInRate, c.NewFeedRate = -1, -1, -1
	})
	token, _ := tn.SignIn(f, "Bot")
	for _, s := range []string{`{"name":"Ada"}`, `{"text":"hi"}`, `{"op":"a1","text":"x"}`, `{"op":"bad op","text":"x"}`,
		`{"text":"` + strings.Repeat("<", protocol.MaxTextChars) + `"}`, `{"text":1}`, `[]`, `null`, "", `{"name":"a\u0000b"}`, "\xff"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, post bool) {
		path := "/api/session"
		if post {
			path = "/api/feeds/main/posts"
		}
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:1"
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		tn.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code != http.StatusOK && rec.Code < 400 {
			t.Fatalf("%s %q: HTTP %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			var e struct{ Error *protocol.Error }
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == nil || e.Error.Code == "" {
				t.Fatalf("%s %q: HTTP %d without a typed error: %s", path, body, rec.Code, rec.Body)
			}
			return
		}
		if post {
			var in struct{ Text string }
			json.Unmarshal([]byte(body), &in)
			var ack protocol.Ack
			if err := json.Unmarshal(rec.Body.Bytes(), &ack); err != nil || ack.Event == nil {
				t.Fatalf("ack %s: %v", rec.Body, err)
			}
			if ack.Duplicate {
				return // an op posted before: its first text stands (dedupe by op id)
			}
			want, e := protocol.CheckText(in.Text)
			if e != nil || ack.Event.Text != want {
				t.Fatalf("stored %q for text %q (check: %q, %v)", ack.Event.Text, in.Text, want, e)
			}
		}
	})
}
