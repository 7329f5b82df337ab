package auth_test

import (
	"testing"

	"livefeed/server/auth"
	"livefeed/server/internal/softauthn"
)

// TestSignInRacingDelete: a passkey sign-in that read the account before
// it was deleted, and makes its session after the deletion ended the
// account's sessions, is refused and leaves no session.
func TestSignInRacingDelete(t *testing.T) {
	p, _ := passkeys(t)
	key := &softauthn.Authenticator{}
	u := signUp(t, p, key, "ada")
	id, assertion, err := p.BeginSignIn(ctx, req(nil), "http")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := key.Get(options(t, assertion), origin)
	if err != nil {
		t.Fatal(err)
	}
	p.BeforeSession(func() {
		if _, err := p.DeleteAccount(ctx, u.ID, "ada"); err != nil {
			t.Error(err)
		}
	})
	if _, _, err := p.FinishSignIn(ctx, req(cred), "http", id); err == nil {
		t.Fatal("a sign-in racing the account's deletion succeeded")
	}
	if l, err := p.Sessions.List(ctx, u.ID); err != nil || len(l) != 0 {
		t.Fatalf("sessions after the deletion: %+v %v", l, err)
	}
	if _, _, err := p.Accounts.Get(ctx, u.ID); err != auth.ErrNoAccount {
		t.Fatalf("the account: %v", err)
	}
}
