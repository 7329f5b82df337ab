package auth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"livefeed/server/auth"
	"livefeed/server/eventlog"
	"livefeed/server/internal/softauthn"
	"livefeed/server/internal/testauth"
	"livefeed/shared/protocol"
)

const origin = "http://localhost:8080"

// passkeys returns the ceremonies over a fresh bucket, on a settable clock.
func passkeys(t *testing.T) (*auth.Passkeys, *auth.Clock) {
	t.Helper()
	s, nc := testauth.Sessions(t)
	kv, err := eventlog.OpenKV(ctx, nc, eventlog.KVConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := auth.NewPasskeys(kv, auth.NewAccounts(kv), s)
	clock := auth.NewClock(time.Now())
	p.UseClock(clock)
	return p, clock
}

// req is a request to the server at origin with body.
func req(body []byte) *http.Request {
	r := httptest.NewRequest("POST", origin+"/api/x", bytes.NewReader(body))
	r.Host = "localhost:8080"
	return r
}

func options(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signUp makes an account for handle with a passkey on key.
func signUp(t *testing.T, p *auth.Passkeys, key *softauthn.Authenticator, handle string) protocol.User {
	t.Helper()
	id, creation, err := p.BeginSignUp(ctx, req(nil), "http", handle, "Name", nil)
	if err != nil {
		t.Fatal(err)
	}
	cred, _, err := key.Create(options(t, creation), origin)
	if err != nil {
		t.Fatal(err)
	}
	acc, _, err := p.FinishSignUp(ctx, req(cred), "http", id)
	if err != nil {
		t.Fatal(err)
	}
	return acc.User
}

// TestCeremonyTTL: a ceremony finishes 1 ms before CeremonyTTL, not at it.
func TestCeremonyTTL(t *testing.T) {
	p, clock := passkeys(t)
	key := &softauthn.Authenticator{}
	u := signUp(t, p, key, "ttl_user")
	for _, late := range []time.Duration{auth.CeremonyTTL - time.Millisecond, auth.CeremonyTTL} {
		id, assertion, err := p.BeginSignIn(ctx, req(nil), "http")
		if err != nil {
			t.Fatal(err)
		}
		answer, err := key.Get(options(t, assertion), origin)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(late)
		acc, _, err := p.FinishSignIn(ctx, req(answer), "http", id)
		switch {
		case late < auth.CeremonyTTL && (err != nil || acc.User != u):
			t.Fatalf("finished %v after begin: %v", late, err)
		case late == auth.CeremonyTTL && err == nil:
			t.Fatalf("finished at CeremonyTTL")
		}
	}
}

// TestOneTimeCodeTTL: a code works 1 ms before OneTimeCodeTTL, not at it.
func TestOneTimeCodeTTL(t *testing.T) {
	p, clock := passkeys(t)
	u := signUp(t, p, &softauthn.Authenticator{}, "code_user")
	sess := auth.Session{User: u, Kind: auth.KindAccount}
	code, exp, err := p.NewCode(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	if got := exp.Sub(clock.Now()); got != auth.OneTimeCodeTTL {
		t.Fatalf("code good for %v, want %v", got, auth.OneTimeCodeTTL)
	}
	clock.Set(exp.Add(-time.Millisecond))
	if _, _, err := p.BeginAdd(ctx, req(nil), "http", "code_user", code); err != nil {
		t.Fatalf("1 ms before expiry: %v", err)
	}
	code, exp, err = p.NewCode(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(exp)
	if _, _, err := p.BeginAdd(ctx, req(nil), "http", "code_user", code); err == nil {
		t.Fatal("a code at its expiry was accepted")
	}
}
