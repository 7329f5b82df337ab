package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"livefeed/server/auth"
	"livefeed/server/internal/softauthn"
	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// origin is the node's origin by name: WebAuthn takes no IP address as
// relying party (localhost is still 127.0.0.1).
func origin(tn *testnode.Node) string {
	return strings.Replace(tn.Srv.URL, "127.0.0.1", "localhost", 1)
}

// api sends method path with body (JSON-encoded unless []byte) and token
// (if any) and returns the status and body.
func api(t *testing.T, tn *testnode.Node, method, path string, body any, token string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, origin(tn)+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type ceremony struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

type signedIn struct {
	Token string        `json:"token"`
	User  protocol.User `json:"user"`
}

// begin starts a ceremony and fails the test unless it answers 200.
func begin(t *testing.T, tn *testnode.Node, path string, body any, token string) ceremony {
	t.Helper()
	st, b := api(t, tn, "POST", path, body, token)
	var c ceremony
	if st != http.StatusOK || json.Unmarshal(b, &c) != nil || c.Ceremony == "" {
		t.Fatalf("%s: HTTP %d %s", path, st, b)
	}
	return c
}

func finish(t *testing.T, tn *testnode.Node, path string, c ceremony, cred []byte) (int, signedIn, []byte) {
	t.Helper()
	st, b := api(t, tn, "POST", path+"?ceremony="+c.Ceremony, cred, "")
	var out signedIn
	json.Unmarshal(b, &out)
	return st, out, b
}

// signUp makes an account with a new passkey on key; token, when set, is
// a guest's session that becomes the account.
func signUp(t *testing.T, tn *testnode.Node, key *softauthn.Authenticator, handle, name, token string) signedIn {
	t.Helper()
	c := begin(t, tn, "/api/account/sign-up/begin", map[string]string{"handle": handle, "name": name}, token)
	cred, _, err := key.Create(c.Options, origin(tn))
	if err != nil {
		t.Fatal(err)
	}
	st, out, b := finish(t, tn, "/api/account/sign-up/finish", c, cred)
	if st != http.StatusOK || out.Token == "" {
		t.Fatalf("sign-up finish: HTTP %d %s", st, b)
	}
	return out
}

func passkeySignIn(t *testing.T, tn *testnode.Node, key *softauthn.Authenticator) (int, signedIn) {
	t.Helper()
	c := begin(t, tn, "/api/account/sign-in/begin", nil, "")
	cred, err := key.Get(c.Options, origin(tn))
	if err != nil {
		t.Fatal(err)
	}
	st, out, _ := finish(t, tn, "/api/account/sign-in/finish", c, cred)
	return st, out
}

func postAs(t *testing.T, tn *testnode.Node, token, text string) protocol.Ack {
	t.Helper()
	st, b := api(t, tn, "POST", "/api/feeds/main/posts", map[string]string{"text": text}, token)
	var ack protocol.Ack
	if st != http.StatusOK || json.Unmarshal(b, &ack) != nil {
		t.Fatalf("post: HTTP %d %s", st, b)
	}
	return ack
}

func authorOf(t *testing.T, tn *testnode.Node, id string) protocol.User {
	t.Helper()
	for _, p := range tn.Service.View().Snapshot("main").Posts {
		if p.ID == id {
			return p.Author
		}
	}
	t.Fatalf("no post %s", id)
	return protocol.User{}
}

// TestPasskeyAccount: a guest posts, makes an account (keeping the user
// id), signs out (the token gets 401), signs in with the passkey as the
// same user and can still edit the post; the post shows the handle.
func TestPasskeyAccount(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	key := &softauthn.Authenticator{}
	guestToken, guest := tn.SignIn(t, "Ada")
	ack := postAs(t, tn, guestToken, "as a guest")
	if a := authorOf(t, tn, ack.ID); a.Handle != "" {
		t.Fatalf("a guest's post shows a handle: %+v", a)
	}
	acc := signUp(t, tn, key, "ada", "Ada", guestToken)
	if acc.User.ID != guest.ID || acc.User.Handle != "ada" || acc.User.Name != "Ada" {
		t.Fatalf("the account is %+v; the guest was %+v", acc.User, guest)
	}
	// The guest's own session is the account's now.
	st, b := api(t, tn, "GET", "/api/session", nil, guestToken)
	if st != http.StatusOK || !strings.Contains(string(b), `"kind":"account"`) || !strings.Contains(string(b), `"handle":"ada"`) {
		t.Fatalf("the guest's session after sign-up: %d %s", st, b)
	}
	ack2 := postAs(t, tn, acc.Token, "as an account")
	if a := authorOf(t, tn, ack2.ID); a != acc.User {
		t.Fatalf("the account's post is by %+v", a)
	}
	for _, tok := range []string{acc.Token, guestToken} {
		if st, b := api(t, tn, "DELETE", "/api/session", nil, tok); st != http.StatusNoContent {
			t.Fatalf("sign out: %d %s", st, b)
		}
		if st, _ := api(t, tn, "GET", "/api/session", nil, tok); st != http.StatusUnauthorized {
			t.Fatalf("a signed-out token: %d", st)
		}
		if st, _ := api(t, tn, "POST", "/api/feeds/main/posts", map[string]string{"text": "x"}, tok); st != http.StatusUnauthorized {
			t.Fatalf("a signed-out token posts: %d", st)
		}
	}
	st, again := passkeySignIn(t, tn, key)
	if st != http.StatusOK || again.User != acc.User {
		t.Fatalf("sign in again: %d %+v, want %+v", st, again.User, acc.User)
	}
	c := testnode.Dial(t, tn, again.Token)
	c.Hello()
	for _, id := range []string{ack.ID, ack2.ID} {
		if _, e := c.Act(protocol.TypeEdit, protocol.Action{Op: protocol.NewOpID(), Feed: "main", ID: id, Text: "edited after signing in again"}); e != nil {
			t.Fatalf("edit %s after signing in again: %v", id, e)
		}
	}

	// The handle is taken, in any case and any look-alike.
	for _, h := range []string{"ada", "ADA", "Ada", "\u0430\u0501\u0430"} { // Cyrillic а ԁ а
		st, b := api(t, tn, "POST", "/api/account/sign-up/begin", map[string]string{"handle": h, "name": "Eve"}, "")
		if st != http.StatusConflict || !strings.Contains(string(b), protocol.CodeHandleTaken) {
			t.Errorf("sign-up as %q: %d %s", h, st, b)
		}
	}
	// Someone else with the same display name is told apart by the handle.
	eve := signUp(t, tn, &softauthn.Authenticator{}, "ada_2", "Ada", "")
	if eve.User.Name != acc.User.Name || eve.User.Handle == acc.User.Handle || eve.User.ID == acc.User.ID {
		t.Fatalf("two Adas: %+v and %+v", eve.User, acc.User)
	}
}

// TestSignUpRace: two sign-ups for one handle begun together: exactly one
// finishes, the other gets handle_taken.
func TestSignUpRace(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	var cs []ceremony
	var creds [][]byte
	for _, h := range []string{"zed", "ZED"} {
		c := begin(t, tn, "/api/account/sign-up/begin", map[string]string{"handle": h, "name": "Zed"}, "")
		cred, _, err := (&softauthn.Authenticator{}).Create(c.Options, origin(tn))
		if err != nil {
			t.Fatal(err)
		}
		cs, creds = append(cs, c), append(creds, cred)
	}
	var wg sync.WaitGroup
	sts := make([]int, 2)
	for i := range cs {
		wg.Go(func() { sts[i], _, _ = finish(t, tn, "/api/account/sign-up/finish", cs[i], creds[i]) })
	}
	wg.Wait()
	if !(sts[0] == http.StatusOK && sts[1] == http.StatusConflict || sts[0] == http.StatusConflict && sts[1] == http.StatusOK) {
		t.Fatalf("statuses %v, want one 200 and one 409", sts)
	}
}

// TestAddPasskeyWithCode: a signed-in device makes a one-time code; a new
// device adds its passkey with the handle and the code, once; wrong codes
// void the code after MaxCodeAttempts; an account holds
// MaxPasskeysPerAccount passkeys.
func TestAddPasskeyWithCode(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	laptop := &softauthn.Authenticator{}
	bob := signUp(t, tn, laptop, "bob", "Bob", "")
	code := func() string {
		t.Helper()
		st, b := api(t, tn, "POST", "/api/account/passkeys/code", nil, bob.Token)
		var out struct{ Code string }
		if st != http.StatusOK || json.Unmarshal(b, &out) != nil || len(out.Code) != 10 {
			t.Fatalf("code: %d %s", st, b)
		}
		return out.Code
	}
	addBegin := func(handle, code string) (int, ceremony) {
		st, b := api(t, tn, "POST", "/api/account/passkeys/begin", map[string]string{"handle": handle, "code": code}, "")
		var c ceremony
		json.Unmarshal(b, &c)
		return st, c
	}
	c1 := code()
	for i := 0; i < auth.MaxCodeAttempts-1; i++ {
		if st, _ := addBegin("bob", "WRONGCODE0"); st != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+1, st)
		}
	}
	if st, _ := addBegin("alice", c1); st != http.StatusUnauthorized {
		t.Fatalf("bob's code for another handle: %d", st)
	}
	st, c := addBegin("bob", strings.ToLower(c1)) // the last attempt of MaxCodeAttempts, right
	if st != http.StatusOK {
		t.Fatalf("the right code after %d wrong ones: %d", auth.MaxCodeAttempts-1, st)
	}
	phone := &softauthn.Authenticator{}
	cred, _, err := phone.Create(c.Options, origin(tn))
	if err != nil {
		t.Fatal(err)
	}
	st, onPhone, b := finish(t, tn, "/api/account/passkeys/finish", c, cred)
	if st != http.StatusOK || onPhone.User != bob.User {
		t.Fatalf("add finish: %d %s", st, b)
	}
	if st, _ := addBegin("bob", c1); st != http.StatusUnauthorized {
		t.Fatalf("a code used twice: %d", st)
	}
	if st, u := passkeySignIn(t, tn, phone); st != http.StatusOK || u.User != bob.User {
		t.Fatalf("sign in on the phone: %d %+v", st, u)
	}
	// MaxCodeAttempts wrong codes void it: the right one then fails.
	c2 := code()
	for i := 0; i < auth.MaxCodeAttempts; i++ {
		addBegin("bob", "WRONGCODE0")
	}
	if st, _ := addBegin("bob", c2); st != http.StatusUnauthorized {
		t.Fatalf("the right code after %d wrong ones: %d", auth.MaxCodeAttempts, st)
	}
	// Up to MaxPasskeysPerAccount (2 so far), then no more.
	for n := 2; n < auth.MaxPasskeysPerAccount; n++ {
		st, c := addBegin("bob", code())
		if st != http.StatusOK {
			t.Fatalf("passkey %d: %d", n+1, st)
		}
		cred, _, _ := (&softauthn.Authenticator{}).Create(c.Options, origin(tn))
		if st, _, b := finish(t, tn, "/api/account/passkeys/finish", c, cred); st != http.StatusOK {
			t.Fatalf("passkey %d: %d %s", n+1, st, b)
		}
	}
	if st, b := api(t, tn, "POST", "/api/account/passkeys/code", nil, bob.Token); st != http.StatusForbidden {
		t.Fatalf("a code for passkey %d: %d %s", auth.MaxPasskeysPerAccount+1, st, b)
	}
	// A guest cannot make codes.
	g, _ := tn.SignIn(t, "Guest")
	if st, _ := api(t, tn, "POST", "/api/account/passkeys/code", nil, g); st != http.StatusForbidden {
		t.Fatalf("a guest's code: %d", st)
	}
}

// TestPasskeyHostileInput: made-up, replayed, cross-origin, cross-user and
// malformed ceremonies get 4xx and sign nobody in.
func TestPasskeyHostileInput(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.SignInRate = -1 })
	key := &softauthn.Authenticator{}
	ann := signUp(t, tn, key, "ann", "Ann", "")
	bobKey := &softauthn.Authenticator{}
	bob := signUp(t, tn, bobKey, "bob", "Bob", "")

	// A sign-in ceremony answered properly, kept for replays.
	c := begin(t, tn, "/api/account/sign-in/begin", nil, "")
	good, err := key.Get(c.Options, origin(tn))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"empty":       {},
		"not JSON":    []byte("{"),
		"null":        []byte("null"),
		"huge":        bytes.Repeat([]byte("a"), 1<<20),
		"no response": []byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key"}`),
		"wrong type":  []byte(strings.Replace(string(good), `"public-key"`, `"password"`, 1)),
	}
	for name, body := range bad {
		c := begin(t, tn, "/api/account/sign-in/begin", nil, "")
		if st, out, b := finish(t, tn, "/api/account/sign-in/finish", c, body); st < 400 || st >= 500 || out.Token != "" {
			t.Errorf("%s: %d %s", name, st, b)
		}
	}
	for name, id := range map[string]string{"none": "", "made up": strings.Repeat("ab", 16), "not hex": strings.Repeat("zz", 16), "long": strings.Repeat("a", 5000)} {
		if st, out, b := finish(t, tn, "/api/account/sign-in/finish", ceremony{Ceremony: id}, good); st != http.StatusUnauthorized || out.Token != "" {
			t.Errorf("ceremony %s: %d %s", name, st, b)
		}
	}
	// Answered at another origin (a phishing page's).
	c2 := begin(t, tn, "/api/account/sign-in/begin", nil, "")
	phished, _ := key.Get(c2.Options, "http://evil.example")
	if st, _, b := finish(t, tn, "/api/account/sign-in/finish", c2, phished); st != http.StatusUnauthorized {
		t.Errorf("another origin: %d %s", st, b)
	}
	// Ann's key signing with Bob's user handle: claims to be Bob.
	c3 := begin(t, tn, "/api/account/sign-in/begin", nil, "")
	var opts struct {
		PublicKey struct{ Challenge string } `json:"publicKey"`
	}
	json.Unmarshal(c3.Options, &opts)
	annCred := keyCred(t, key)
	forged := *annCred
	forged.User = []byte(bob.User.ID)
	claim, _ := softauthn.Assert(&forged, 99, opts.PublicKey.Challenge, origin(tn))
	if st, out, b := finish(t, tn, "/api/account/sign-in/finish", c3, claim); st != http.StatusUnauthorized || out.User.ID == bob.User.ID {
		t.Errorf("Ann's passkey claiming Bob's user handle: %d %s", st, b)
	}
	// A sign-in answer used for a sign-up ceremony, and the good answer
	// finished twice.
	su := begin(t, tn, "/api/account/sign-up/begin", map[string]string{"handle": "mallory", "name": "M"}, "")
	if st, _, b := finish(t, tn, "/api/account/sign-in/finish", su, good); st != http.StatusUnauthorized {
		t.Errorf("a sign-up ceremony finished as a sign-in: %d %s", st, b)
	}
	if st, out, b := finish(t, tn, "/api/account/sign-in/finish", c, good); st != http.StatusOK || out.User != ann.User {
		t.Fatalf("the good answer: %d %s", st, b)
	}
	if st, _, _ := finish(t, tn, "/api/account/sign-in/finish", c, good); st != http.StatusUnauthorized {
		t.Errorf("a replayed answer: %d", st)
	}
	// At an IP address there is no relying party: a clear refusal.
	resp, err := http.Post(tn.Srv.URL+"/api/account/sign-in/begin", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(msg), "localhost") {
		t.Errorf("sign-in at 127.0.0.1: %d %s", resp.StatusCode, msg)
	}
	// Sign-up begin with hostile fields.
	for _, body := range []string{`{"handle":"ok_name","name":""}`, `{"handle":"","name":"A"}`, `{"handle":"a\u202eb","name":"A"}`,
		`{"handle":"abc","name":"A\u200b"}`, `{"handle":["x"],"name":"A"}`, `[]`, `{"handle":"` + strings.Repeat("x", 100) + `","name":"A"}`} {
		if st, b := api(t, tn, "POST", "/api/account/sign-up/begin", []byte(body), ""); st != http.StatusBadRequest {
			t.Errorf("sign-up begin %s: %d %s", body, st, b)
		}
	}
}

func keyCred(t *testing.T, a *softauthn.Authenticator) *softauthn.Credential {
	t.Helper()
	c := a.Last()
	if c == nil {
		t.Fatal("no credential")
	}
	return c
}
