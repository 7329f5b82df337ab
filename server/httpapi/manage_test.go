package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"livefeed/server/auth"
	"livefeed/server/internal/softauthn"
	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

type accountShown struct {
	User     protocol.User      `json:"user"`
	Passkeys []auth.PasskeyInfo `json:"passkeys"`
}

func showAccount(t *testing.T, tn *testnode.Node, token string) accountShown {
	t.Helper()
	st, b := api(t, tn, "GET", "/api/account", nil, token)
	var out accountShown
	if st != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("GET /api/account: %d %s", st, b)
	}
	return out
}

// addDevice adds a passkey on a new authenticator to the account of
// handle with a code made by token, and returns the authenticator.
func addDevice(t *testing.T, tn *testnode.Node, token, handle string) *softauthn.Authenticator {
	t.Helper()
	st, b := api(t, tn, "POST", "/api/account/passkeys/code", nil, token)
	var code struct{ Code string }
	if st != http.StatusOK || json.Unmarshal(b, &code) != nil {
		t.Fatalf("code: %d %s", st, b)
	}
	c := begin(t, tn, "/api/account/passkeys/begin", map[string]string{"handle": handle, "code": code.Code}, "")
	key := &softauthn.Authenticator{}
	cred, _, err := key.Create(c.Options, origin(tn))
	if err != nil {
		t.Fatal(err)
	}
	if st, _, b := finish(t, tn, "/api/account/passkeys/finish", c, cred); st != http.StatusOK {
		t.Fatalf("add finish: %d %s", st, b)
	}
	return key
}

// TestManagePasskeys: an account lists its passkeys and removes one, but
// never the last; a removed passkey no longer signs in; another account,
// a guest or an API token cannot touch them.
func TestManagePasskeys(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	laptop := &softauthn.Authenticator{}
	ada := signUp(t, tn, laptop, "ada", "Ada", "")
	phone := addDevice(t, tn, ada.Token, "ada")
	l := showAccount(t, tn, ada.Token)
	if l.User != ada.User || len(l.Passkeys) != 2 || l.Passkeys[0].Added == 0 || l.Passkeys[1].Added < l.Passkeys[0].Added {
		t.Fatalf("the account: %+v", l)
	}
	bob := signUp(t, tn, &softauthn.Authenticator{}, "bob", "Bob", "")
	guest, _ := tn.SignIn(t, "Gus")
	_, bot := makeToken(t, tn, ada.Token, "bot")
	for who, tok := range map[string]string{"another account": bob.Token, "a guest": guest, "ada's API token": bot.Token} {
		st, _ := api(t, tn, "DELETE", "/api/account/passkeys/"+l.Passkeys[0].ID, nil, tok)
		if want := map[string]int{"another account": http.StatusNotFound}[who]; want == 0 && st != http.StatusForbidden || want != 0 && st != want {
			t.Fatalf("%s removed ada's passkey: HTTP %d", who, st)
		}
	}
	if st, _ := api(t, tn, "DELETE", "/api/account/passkeys/"+l.Passkeys[0].ID, nil, ada.Token); st != http.StatusNoContent {
		t.Fatalf("remove the laptop's passkey: HTTP %d", st)
	}
	if st, _ := passkeySignIn(t, tn, laptop); st != http.StatusUnauthorized {
		t.Fatalf("a removed passkey signed in: HTTP %d", st)
	}
	if st, u := passkeySignIn(t, tn, phone); st != http.StatusOK || u.User != ada.User {
		t.Fatalf("the remaining passkey: HTTP %d %+v", st, u)
	}
	l = showAccount(t, tn, ada.Token)
	if len(l.Passkeys) != 1 {
		t.Fatalf("passkeys after removing one: %+v", l.Passkeys)
	}
	if st, b := api(t, tn, "DELETE", "/api/account/passkeys/"+l.Passkeys[0].ID, nil, ada.Token); st != http.StatusForbidden {
		t.Fatalf("the last passkey: HTTP %d %s", st, b)
	}
	for _, id := range []string{"nope", "!!", "AAAA"} {
		if st, _ := api(t, tn, "DELETE", "/api/account/passkeys/"+id, nil, ada.Token); st != http.StatusNotFound {
			t.Fatalf("passkey %q: HTTP %d", id, st)
		}
	}
}

// TestRenameAccount: a new display name is the account's and every one
// of its sessions' (new posts, through a browser session or an API token,
// show it); earlier posts keep theirs; bad names are refused.
func TestRenameAccount(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	ada := signUp(t, tn, &softauthn.Authenticator{}, "ada", "Ada", "")
	_, bot := makeToken(t, tn, ada.Token, "bot")
	before := postAs(t, tn, ada.Token, "before")
	for _, name := range []string{"", "Ada\u202e", "A\u200bda"} {
		if st, _ := api(t, tn, "PATCH", "/api/account", map[string]string{"name": name}, ada.Token); st != http.StatusBadRequest {
			t.Fatalf("name %q: HTTP %d", name, st)
		}
	}
	if st, _ := api(t, tn, "PATCH", "/api/account", map[string]string{"name": "Mallory"}, bot.Token); st != http.StatusForbidden {
		t.Fatalf("an API token renamed the account: HTTP %d", st)
	}
	st, b := api(t, tn, "PATCH", "/api/account", map[string]string{"name": "Ada L."}, ada.Token)
	if st != http.StatusOK {
		t.Fatalf("rename: HTTP %d %s", st, b)
	}
	want := protocol.User{ID: ada.User.ID, Name: "Ada L.", Handle: "ada"}
	if got := showAccount(t, tn, ada.Token).User; got != want {
		t.Fatalf("after rename: %+v, want %+v", got, want)
	}
	for _, tok := range []string{ada.Token, bot.Token} {
		if a := authorOf(t, tn, postAs(t, tn, tok, "after").ID); a != want {
			t.Fatalf("a post after the rename is by %+v, want %+v", a, want)
		}
	}
	if a := authorOf(t, tn, before.ID); a != ada.User {
		t.Fatalf("the earlier post is now by %+v", a)
	}
}

// TestDeleteAccount: deleting (confirmed with the handle) ends every
// session of the account, API tokens included, and its passkeys; its
// posts stay, by nobody who can edit them; its handle stays taken.
func TestDeleteAccount(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	key := &softauthn.Authenticator{}
	ada := signUp(t, tn, key, "ada", "Ada", "")
	_, second := passkeySignIn(t, tn, key)
	_, bot := makeToken(t, tn, ada.Token, "bot")
	ack := postAs(t, tn, ada.Token, "kept")
	ws := testnode.Dial(t, tn, second.Token)
	ws.Hello()
	for _, confirm := range []string{"", "bob", "@nope"} {
		if st, _ := api(t, tn, "DELETE", "/api/account", map[string]string{"confirm": confirm}, ada.Token); st != http.StatusBadRequest {
			t.Fatalf("confirmed with %q: HTTP %d", confirm, st)
		}
	}
	if st, _ := api(t, tn, "DELETE", "/api/account", map[string]string{"confirm": "ada"}, bot.Token); st != http.StatusForbidden {
		t.Fatalf("an API token deleted the account: HTTP %d", st)
	}
	st, b := api(t, tn, "DELETE", "/api/account", map[string]string{"confirm": "@Ada"}, ada.Token)
	if st != http.StatusOK || string(b) != `{"ended":3}`+"\n" {
		t.Fatalf("delete: HTTP %d %s", st, b)
	}
	for who, tok := range map[string]string{"this session": ada.Token, "another device": second.Token, "the API token": bot.Token} {
		if st, _ := api(t, tn, "GET", "/api/session", nil, tok); st != http.StatusUnauthorized {
			t.Fatalf("%s outlived the account: HTTP %d", who, st)
		}
	}
	for {
		m, err := ws.Read(10 * time.Second)
		if err != nil {
			t.Fatalf("the other device's socket ended without %s: %v", protocol.CodeSignedOut, err)
		}
		if e, ok := m.(*protocol.Error); ok && e.Code == protocol.CodeSignedOut {
			break
		}
	}
	if st, _ := passkeySignIn(t, tn, key); st != http.StatusUnauthorized {
		t.Fatalf("the deleted account's passkey signed in: HTTP %d", st)
	}
	if a := authorOf(t, tn, ack.ID); a != ada.User {
		t.Fatalf("the post is now by %+v", a)
	}
	if st, b := api(t, tn, "POST", "/api/account/sign-up/begin", map[string]string{"handle": "ada", "name": "Not Ada"}, ""); st != http.StatusConflict {
		t.Fatalf("the deleted account's handle was offered again: HTTP %d %s", st, b)
	}
}

// TestTokenScope: an API token posts as its account and ends itself
// (DELETE /api/session), but cannot end the account's browser sessions
// ("sign out everywhere" is the account's own).
func TestTokenScope(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	ada := signUp(t, tn, &softauthn.Authenticator{}, "ada", "Ada", "")
	_, bot := makeToken(t, tn, ada.Token, "bot")
	if st, b := api(t, tn, "DELETE", "/api/sessions", nil, bot.Token); st != http.StatusForbidden {
		t.Fatalf("an API token signed its account out everywhere: HTTP %d %s", st, b)
	}
	if st, _ := api(t, tn, "GET", "/api/session", nil, ada.Token); st != http.StatusOK {
		t.Fatalf("the browser session after the token's try: HTTP %d", st)
	}
	if st, _ := api(t, tn, "DELETE", "/api/session", nil, bot.Token); st != http.StatusNoContent {
		t.Fatalf("a token ending itself: HTTP %d", st)
	}
	if st, _ := api(t, tn, "GET", "/api/session", nil, bot.Token); st != http.StatusUnauthorized {
		t.Fatalf("the ended token: HTTP %d", st)
	}
}
