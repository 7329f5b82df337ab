package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"livefeed/server/auth"
	"livefeed/server/internal/softauthn"
	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

type tokenMade struct {
	Token string `json:"token"`
	ID    string `json:"id"`
	Label string `json:"label"`
}

func makeToken(t *testing.T, tn *testnode.Node, session, label string) (int, tokenMade) {
	t.Helper()
	st, b := api(t, tn, "POST", "/api/tokens", map[string]string{"label": label}, session)
	var out tokenMade
	json.Unmarshal(b, &out)
	return st, out
}

// TestAPITokens: an account makes API tokens for bots (at most
// MaxTokensPerAccount), lists them (no secrets), posts with one as that
// account, revokes one (401 from then on); guests and tokens cannot make
// tokens; another account cannot revoke them; signing out everywhere
// leaves them.
func TestAPITokens(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	annKey := &softauthn.Authenticator{}
	ann := signUp(t, tn, annKey, "ann", "Ann", "")
	bob := signUp(t, tn, &softauthn.Authenticator{}, "bob", "Bob", "")
	st, bot := makeToken(t, tn, ann.Token, "deploy bot")
	if st != http.StatusOK || bot.Token == "" || bot.Label != "deploy bot" {
		t.Fatalf("make a token: %d %+v", st, bot)
	}
	ack := postAs(t, tn, bot.Token, "from the bot")
	if a := authorOf(t, tn, ack.ID); a != ann.User {
		t.Fatalf("the bot's post is by %+v, want %+v", a, ann.User)
	}
	if st, _ := makeToken(t, tn, bot.Token, "a token's token"); st != http.StatusForbidden {
		t.Fatalf("a token made a token: %d", st)
	}
	guest, _ := tn.SignIn(t, "Gus")
	if st, _ := makeToken(t, tn, guest, "guest bot"); st != http.StatusForbidden {
		t.Fatalf("a guest made a token: %d", st)
	}
	for _, label := range []string{"", strings.Repeat("x", protocol.MaxNameChars+1), "bot\u202e"} {
		if st, _ := makeToken(t, tn, ann.Token, label); st != http.StatusBadRequest {
			t.Fatalf("label %q: %d", label, st)
		}
	}
	for i := 1; i < auth.MaxTokensPerAccount; i++ {
		if st, _ := makeToken(t, tn, ann.Token, fmt.Sprint("bot ", i)); st != http.StatusOK {
			t.Fatalf("token %d of %d: %d", i+1, auth.MaxTokensPerAccount, st)
		}
	}
	if st, _ := makeToken(t, tn, ann.Token, "one too many"); st != http.StatusConflict {
		t.Fatalf("token %d: %d", auth.MaxTokensPerAccount+1, st)
	}
	st, b := api(t, tn, "GET", "/api/tokens", nil, ann.Token)
	var list struct{ Tokens []map[string]any }
	if st != http.StatusOK || json.Unmarshal(b, &list) != nil || len(list.Tokens) != auth.MaxTokensPerAccount || strings.Contains(string(b), bot.Token) {
		t.Fatalf("list: %d %s", st, b)
	}
	if st, _ := api(t, tn, "DELETE", "/api/tokens/"+bot.ID, nil, bob.Token); st != http.StatusNotFound {
		t.Fatalf("Bob revoking Ann's token: %d", st)
	}
	if st, _ := api(t, tn, "DELETE", "/api/sessions", nil, ann.Token); st != http.StatusOK {
		t.Fatalf("sign out everywhere: %d", st)
	}
	if st, _ := api(t, tn, "GET", "/api/session", nil, bot.Token); st != http.StatusOK {
		t.Fatalf("a token after sign out everywhere: %d", st)
	}
	if st, _ := api(t, tn, "GET", "/api/session", nil, ann.Token); st != http.StatusUnauthorized {
		t.Fatalf("the browser session after sign out everywhere: %d", st)
	}
	st, again := passkeySignIn(t, tn, annKey)
	if st != http.StatusOK {
		t.Fatalf("sign in again: %d", st)
	}
	if st, _ := api(t, tn, "DELETE", "/api/tokens/"+bot.ID, nil, again.Token); st != http.StatusNoContent {
		t.Fatalf("revoke: %d", st)
	}
	if st, _ := api(t, tn, "POST", "/api/feeds/main/posts", map[string]string{"text": "x"}, bot.Token); st != http.StatusUnauthorized {
		t.Fatalf("a revoked token posts: %d", st)
	}
	if st, _ := makeToken(t, tn, again.Token, "room again"); st != http.StatusOK {
		t.Fatalf("a token after revoking one at the cap: %d", st)
	}
}

// TestNoClaimingAnotherID: whatever a client puts in a body, a hello or
// an action (author, user, id fields), the user is the session's, and a
// token with another user's id in front is refused.
func TestNoClaimingAnotherID(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	victimToken, victim := tn.SignIn(t, "Victim")
	vack := postAs(t, tn, victimToken, "the victim's post")
	mallory, me := tn.SignIn(t, "Mallory")
	st, b := api(t, tn, "POST", "/api/feeds/main/posts", []byte(`{"text":"mine","author":{"id":"`+victim.ID+`","name":"Victim"},"user":{"id":"`+victim.ID+`"},"id":"`+victim.ID+`"}`), mallory)
	var ack protocol.Ack
	if st != http.StatusOK || json.Unmarshal(b, &ack) != nil {
		t.Fatalf("post: %d %s", st, b)
	}
	if a := authorOf(t, tn, ack.ID); a.ID != me.ID {
		t.Fatalf("a body naming the victim posted as %+v", a)
	}
	// The sign-in body cannot choose an id or a handle either.
	st, b = api(t, tn, "POST", "/api/session", []byte(`{"name":"Victim","id":"`+victim.ID+`","handle":"victim"}`), "")
	var si signedIn
	if st != http.StatusOK || json.Unmarshal(b, &si) != nil || si.User.ID == victim.ID || si.User.Handle != "" {
		t.Fatalf("sign-in naming an id: %d %s", st, b)
	}
	c := testnode.Dial(t, tn, mallory)
	c.SendRaw([]byte(`{"type":"hello","data":{"client":"x","user":{"id":"` + victim.ID + `"},"subs":[]}}`))
	if w := testnode.Expect[protocol.Welcome](c); w.User.ID != me.ID {
		t.Fatalf("hello naming the victim: welcome for %+v", w.User)
	}
	c.SendRaw([]byte(`{"type":"edit","data":{"op":"e1","feed":"main","id":"` + vack.ID + `","text":"hijacked","author":{"id":"` + victim.ID + `"}}}`))
	for {
		m := c.Next()
		if e, ok := m.(*protocol.Error); ok {
			if e.Code != protocol.CodeForbidden {
				t.Fatalf("editing the victim's post: %v", e)
			}
			break
		}
		if _, ok := m.(protocol.Ack); ok {
			t.Fatal("edited the victim's post")
		}
	}
	// The victim's id in front of Mallory's secret and mac.
	forged := victim.ID + mallory[strings.Index(mallory, "."):]
	if st, _ := api(t, tn, "GET", "/api/session", nil, forged); st != http.StatusUnauthorized {
		t.Fatalf("a token with the victim's id: %d", st)
	}
	if st, _ := api(t, tn, "POST", "/api/feeds/main/posts", map[string]string{"text": "x"}, forged); st != http.StatusUnauthorized {
		t.Fatalf("a post with the victim's id: %d", st)
	}
}
