package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: whatever comes as a token (header or cookie), Verify never
// panics and accepts only what the signer issued: a token it accepts was
// signed with the key (here: equals the one real token), so no other
// bytes pass as a session.
func FuzzVerify(f *testing.F) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		f.Fatal(err)
	}
	s.now = func() time.Time { return time.Unix(1_800_000_000, 0) }
	// The token Issue would make, made deterministically (the fuzzer runs
	// this in several processes, which must agree on it).
	body, _ := json.Marshal(claims{ID: "uAda", Name: "Ada", Expiry: s.now().Add(SessionTTL).Unix()})
	p := base64.RawURLEncoding.EncodeToString(body)
	good := p + "." + s.sign(p)
	f.Add(good)
	f.Add(good + "x")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("")
	f.Add(".")
	f.Add("eyJpZCI6InUxIiwibmFtZSI6Ik0iLCJleHAiOjk5OTk5OTk5OTl9.AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		u, err := s.Verify(token)
		if err == nil && token != good {
			t.Fatalf("accepted a token that was not issued: %q -> %+v", token, u)
		}
		if err == nil && u.Name != "Ada" {
			t.Fatalf("issued token for Ada verified as %+v", u)
		}
		for _, h := range []http.Header{
			{"Authorization": {"Bearer " + token}},
			{"Cookie": {CookieName + "=" + token}},
			{"Cookie": {SecureCookieName + "=" + token}},
		} {
			r := &http.Request{Header: h}
			if _, err := s.FromRequest(r); err == nil && token != good {
				t.Fatalf("FromRequest accepted %q (%v)", token, h)
			}
		}
	})
}
