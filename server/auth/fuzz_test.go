package auth

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzParse: whatever comes as a token (header or cookie), parsing never
// panics and accepts only what the signer minted: a token it accepts was
// signed with the key (here: equals the one real token), so no other
// bytes name a session record, and no token names another user's.
func FuzzParse(f *testing.F) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)))
	if err != nil {
		f.Fatal(err)
	}
	secret := strings.Repeat("A", 22) // deterministic: the fuzzer's processes must agree
	good := s.mint("uAda", secret)
	goodKey := sessionKey("uAda", sessionIDOf(secret))
	f.Add(good)
	f.Add(good + "x")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add(strings.Replace(good, "uAda", "uBob", 1))
	f.Add("")
	f.Add(".")
	f.Add("..")
	f.Add("eyJpZCI6InUxIiwibmFtZSI6Ik0iLCJleHAiOjk5OTk5OTk5OTl9.AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		key, err := s.parse(token)
		if err == nil && token != good {
			t.Fatalf("accepted a token that was not minted: %q -> %s", token, key)
		}
		if err == nil && key != goodKey {
			t.Fatalf("the minted token names %s, not %s", key, goodKey)
		}
		for _, h := range []http.Header{
			{"Authorization": {"Bearer " + token}},
			{"Cookie": {CookieName + "=" + token}},
			{"Cookie": {SecureCookieName + "=" + token}},
		} {
			r := &http.Request{Header: h}
			if _, err := s.parse(TokenOf(r)); err == nil && token != good {
				t.Fatalf("a request with %q (%v) was accepted", token, h)
			}
		}
	})
}
