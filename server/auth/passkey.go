package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	wprotocol "github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/nats-io/nats.go/jetstream"

	"livefeed/shared/protocol"
)

// Passkeys are the WebAuthn ceremonies (github.com/go-webauthn/webauthn):
// sign up (a handle, a display name and a new passkey make an account),
// sign in (a discoverable passkey names its account), and adding a
// passkey for another device with a one-time code made on a signed-in
// one. Each ceremony is two requests, begin and finish, which may reach
// different nodes: what begin decided (the challenge, the user) is kept in
// the bucket under "c.<id>" for CeremonyTTL and taken once by finish.
//
// The relying party: RPID (--rp-id) and Origins (--public-url) when set;
// otherwise the request's host name and its origin (scheme from the
// request, behind trusted proxies from X-Forwarded-Proto). A passkey is
// bound to its RP ID: serve one name (set --public-url) or passkeys made
// on one will not work on another.
type Passkeys struct {
	Accounts *Accounts
	Sessions *Sessions
	// RPID and Origins override the relying party derived from requests.
	RPID    string
	Origins []string
	// RPName is shown by the browser (default "Livefeed").
	RPName string

	kv  jetstream.KeyValue
	now func() time.Time
	// beforeSession, when set (tests), runs between a sign-in's account
	// lookup and its new session.
	beforeSession func()
}

// Limits of the ceremonies (docs/protocol.md, "Accounts").
const (
	// CeremonyTTL: a begun ceremony must be finished within this.
	CeremonyTTL = 5 * time.Minute
	// OneTimeCodeTTL: a code for adding a passkey is good this long.
	OneTimeCodeTTL = 10 * time.Minute
	// MaxCodeAttempts: wrong codes tried for an account's outstanding
	// code before it is void (make a new one on the signed-in device).
	MaxCodeAttempts = 5
	// oneTimeCodeBytes of randomness in a code (10 characters of base32).
	oneTimeCodeBytes = 6
)

// NewPasskeys returns the ceremonies over accounts and sessions in kv.
func NewPasskeys(kv jetstream.KeyValue, accounts *Accounts, sessions *Sessions) *Passkeys {
	return &Passkeys{Accounts: accounts, Sessions: sessions, kv: kv, now: time.Now, RPName: "Livefeed"}
}

// addCode is an account's outstanding one-time code.
type addCode struct {
	Hash     string `json:"hash"` // hex SHA-256 of the code
	Expires  int64  `json:"expires"`
	Attempts int    `json:"attempts"`
}

// Ceremony kinds.
const (
	ceremonySignUp = "sign-up"
	ceremonySignIn = "sign-in"
	ceremonyAdd    = "add"
)

type ceremony struct {
	Kind string               `json:"kind"`
	Data webauthn.SessionData `json:"data"`
	// User is, for sign-up and add, who the new credential is for.
	User protocol.User `json:"user"`
	// Guest: sign-up of a signed-in guest, who keeps their user id.
	Guest   bool  `json:"guest,omitempty"`
	Expires int64 `json:"expires"`
}

// relyingParty returns the WebAuthn settings for a request.
func (p *Passkeys) relyingParty(r *http.Request, proto string) (*webauthn.WebAuthn, error) {
	rpid, origins := p.RPID, p.Origins
	if len(origins) == 0 {
		if proto != "https" {
			proto = "http"
		}
		origins = []string{proto + "://" + r.Host}
	}
	if rpid == "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		rpid = strings.Trim(host, "[]")
	}
	if net.ParseIP(rpid) != nil {
		return nil, protocol.Errorf(protocol.CodeForbidden, "passkeys need the site opened by a name, not an IP address: open http://localhost:PORT instead of http://%s, or start the server with --rp-id or --public-url", r.Host)
	}
	return webauthn.New(&webauthn.Config{RPID: rpid, RPDisplayName: p.RPName, RPOrigins: origins,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL},
		}})
}

func ceremonyKey(id string) string { return "c." + id }

// begin stores c and returns its id.
func (p *Passkeys) begin(ctx context.Context, c ceremony) (string, error) {
	var raw [16]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	c.Expires = p.now().Add(CeremonyTTL).UnixMilli()
	b, _ := json.Marshal(c)
	// The bucket drops it after CeremonyTTL if nobody finishes it (a
	// flood of begins leaves nothing behind).
	if _, err := p.kv.Create(ctx, ceremonyKey(id), b, jetstream.KeyTTL(CeremonyTTL)); err != nil {
		return "", fmt.Errorf("auth: store ceremony: %w", err)
	}
	return id, nil
}

// take returns the ceremony id of kind and deletes it: a ceremony is
// finished once, whatever the outcome.
func (p *Passkeys) take(ctx context.Context, id, kind string) (ceremony, error) {
	bad := protocol.Errorf(protocol.CodeUnauthorized, "this sign-in attempt is unknown or expired; start again")
	if len(id) != 32 {
		return ceremony{}, bad
	}
	if _, err := hex.DecodeString(id); err != nil {
		return ceremony{}, bad
	}
	e, err := p.kv.Get(ctx, ceremonyKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ceremony{}, bad
	} else if err != nil {
		return ceremony{}, fmt.Errorf("auth: read ceremony: %w", err)
	}
	// Only the one who deletes this revision goes on.
	if err := p.kv.Delete(ctx, ceremonyKey(id), jetstream.LastRevision(e.Revision())); err != nil {
		return ceremony{}, bad
	}
	var c ceremony
	if json.Unmarshal(e.Value(), &c) != nil || c.Kind != kind || p.now().UnixMilli() >= c.Expires {
		return ceremony{}, bad
	}
	return c, nil
}

// resume takes the ceremony id of kind for its finish, with the relying
// party of the request.
func (p *Passkeys) resume(r *http.Request, proto, id, kind string) (ceremony, *webauthn.WebAuthn, error) {
	c, err := p.take(r.Context(), id, kind)
	if err != nil {
		return ceremony{}, nil, err
	}
	wa, err := p.relyingParty(r, proto)
	return c, wa, err
}

// BeginSignUp starts making an account with handle and display name. A
// signed-in guest (guest non-nil) keeps their user id, so their posts stay
// theirs. It returns the ceremony id and the options for
// navigator.credentials.create.
func (p *Passkeys) BeginSignUp(ctx context.Context, r *http.Request, proto, handle, name string, guest *Session) (string, *wprotocol.CredentialCreation, error) {
	h, perr := CheckHandle(handle)
	if perr != nil {
		return "", nil, perr
	}
	n, perr := protocol.CheckName(name)
	if perr != nil {
		return "", nil, perr
	}
	if free, err := p.Accounts.HandleFree(ctx, h); err != nil {
		return "", nil, err
	} else if !free {
		return "", nil, protocol.Errorf(protocol.CodeHandleTaken, "the handle @%s (or one that looks like it) is taken", h)
	}
	c := ceremony{Kind: ceremonySignUp}
	if guest != nil && guest.Kind == KindGuest {
		c.User.ID, c.Guest = guest.User.ID, true
	} else {
		id, err := NewUserID()
		if err != nil {
			return "", nil, err
		}
		c.User.ID = id
	}
	c.User.Name, c.User.Handle = n, h
	wa, err := p.relyingParty(r, proto)
	if err != nil {
		return "", nil, err
	}
	acc := &Account{User: c.User}
	creation, data, err := wa.BeginRegistration(acc,
		webauthn.WithResidentKeyRequirement(wprotocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(wprotocol.PreferNoAttestation))
	if err != nil {
		return "", nil, fmt.Errorf("auth: begin registration: %w", err)
	}
	c.Data = *data
	id, err := p.begin(ctx, c)
	return id, creation, err
}

// FinishSignUp checks the new credential (the request's body) and makes
// the account and its first session; it returns the account and the
// session's token.
func (p *Passkeys) FinishSignUp(ctx context.Context, r *http.Request, proto, id string) (*Account, string, error) {
	c, wa, err := p.resume(r, proto, id, ceremonySignUp)
	if err != nil {
		return nil, "", err
	}
	acc := &Account{User: c.User}
	cred, err := wa.FinishRegistration(acc, c.Data, r)
	if err != nil {
		return nil, "", protocol.Errorf(protocol.CodeUnauthorized, "the passkey was not accepted: %v", err)
	}
	acc.addCredential(*cred, p.now().UnixMilli())
	if err := p.Accounts.create(ctx, acc); err != nil {
		return nil, "", err
	}
	if c.Guest {
		// The guest's sessions become the account's (same user id): the
		// device that was a guest is now signed in to the account.
		if err := p.Sessions.upgrade(ctx, acc.User); err != nil {
			return nil, "", err
		}
	}
	token, _, err := p.Sessions.Create(ctx, acc.User, KindAccount, "")
	return acc, token, err
}

// BeginSignIn starts a sign-in with a discoverable passkey (the browser
// offers the passkeys it has for this site).
func (p *Passkeys) BeginSignIn(ctx context.Context, r *http.Request, proto string) (string, *wprotocol.CredentialAssertion, error) {
	wa, err := p.relyingParty(r, proto)
	if err != nil {
		return "", nil, err
	}
	assertion, data, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(wprotocol.VerificationPreferred))
	if err != nil {
		return "", nil, fmt.Errorf("auth: begin login: %w", err)
	}
	id, err := p.begin(ctx, ceremony{Kind: ceremonySignIn, Data: *data})
	return id, assertion, err
}

// FinishSignIn checks the assertion (the request's body) and makes a
// session for its account.
func (p *Passkeys) FinishSignIn(ctx context.Context, r *http.Request, proto, id string) (*Account, string, error) {
	c, wa, err := p.resume(r, proto, id, ceremonySignIn)
	if err != nil {
		return nil, "", err
	}
	var acc *Account
	var rev uint64
	_, cred, err := wa.FinishPasskeyLogin(func(_, userHandle []byte) (webauthn.User, error) {
		a, v, err := p.Accounts.Get(ctx, string(userHandle))
		acc, rev = a, v
		return a, err
	}, c.Data, r)
	if err != nil {
		return nil, "", protocol.Errorf(protocol.CodeUnauthorized, "the passkey was not accepted: %v", err)
	}
	// Keep the authenticator's new sign count (a clone shows as a count
	// that does not grow); a lost race to update is no reason to refuse.
	for i := range acc.Credentials {
		if bytes.Equal(acc.Credentials[i].ID, cred.ID) {
			acc.Credentials[i].Authenticator = cred.Authenticator
			acc.Credentials[i].Flags = cred.Flags
		}
	}
	_ = p.Accounts.update(ctx, acc, rev)
	token, err := p.sessionFor(ctx, acc)
	return acc, token, err
}

// NewCode makes a one-time code with which another device adds a passkey
// to the signed-in account of sess (replacing any earlier code).
func (p *Passkeys) NewCode(ctx context.Context, sess Session) (string, time.Time, error) {
	acc, rev, err := p.Accounts.Get(ctx, sess.User.ID)
	if err != nil {
		return "", time.Time{}, protocol.Errorf(protocol.CodeForbidden, "only an account can add a passkey; create one first")
	}
	if len(acc.Credentials) >= MaxPasskeysPerAccount {
		return "", time.Time{}, protocol.Errorf(protocol.CodeForbidden, "an account holds at most %d passkeys", MaxPasskeysPerAccount)
	}
	var raw [oneTimeCodeBytes]byte
	rand.Read(raw[:])
	code := strings.ToUpper(base32NoPad(raw[:]))
	exp := p.now().Add(OneTimeCodeTTL)
	acc.Code = &addCode{Hash: codeHash(code), Expires: exp.UnixMilli()}
	if err := p.Accounts.update(ctx, acc, rev); err != nil {
		return "", time.Time{}, err
	}
	return code, exp, nil
}

func codeHash(code string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(h[:])
}

// BeginAdd starts adding a passkey, on a new device, to the account of
// handle with the one-time code made on a signed-in device. A wrong code
// counts against the outstanding one: after MaxCodeAttempts it is void.
func (p *Passkeys) BeginAdd(ctx context.Context, r *http.Request, proto, handle, code string) (string, *wprotocol.CredentialCreation, error) {
	bad := protocol.Errorf(protocol.CodeUnauthorized, "that code is wrong or expired; make a new one on your signed-in device")
	acc, rev, err := p.Accounts.ByHandle(ctx, handle)
	if errors.Is(err, ErrNoAccount) {
		return "", nil, bad
	} else if err != nil {
		return "", nil, err
	}
	if acc.Code == nil || p.now().UnixMilli() >= acc.Code.Expires {
		return "", nil, bad
	}
	if subtle.ConstantTimeCompare([]byte(codeHash(code)), []byte(acc.Code.Hash)) != 1 {
		acc.Code.Attempts++
		if acc.Code.Attempts >= MaxCodeAttempts {
			acc.Code = nil
		}
		if err := p.Accounts.update(ctx, acc, rev); err != nil {
			return "", nil, err
		}
		return "", nil, bad
	}
	acc.Code = nil // used once
	if err := p.Accounts.update(ctx, acc, rev); err != nil {
		return "", nil, bad // raced with another use of the code
	}
	if len(acc.Credentials) >= MaxPasskeysPerAccount {
		return "", nil, protocol.Errorf(protocol.CodeForbidden, "an account holds at most %d passkeys", MaxPasskeysPerAccount)
	}
	wa, err := p.relyingParty(r, proto)
	if err != nil {
		return "", nil, err
	}
	creation, data, err := wa.BeginRegistration(acc,
		webauthn.WithResidentKeyRequirement(wprotocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(wprotocol.PreferNoAttestation),
		webauthn.WithExclusions(webauthn.Credentials(acc.Credentials).CredentialDescriptors()))
	if err != nil {
		return "", nil, fmt.Errorf("auth: begin registration: %w", err)
	}
	id, err := p.begin(ctx, ceremony{Kind: ceremonyAdd, Data: *data, User: acc.User})
	return id, creation, err
}

// FinishAdd checks the new device's credential, adds it to the account
// and signs the new device in.
func (p *Passkeys) FinishAdd(ctx context.Context, r *http.Request, proto, id string) (*Account, string, error) {
	c, wa, err := p.resume(r, proto, id, ceremonyAdd)
	if err != nil {
		return nil, "", err
	}
	acc, rev, err := p.Accounts.Get(ctx, c.User.ID)
	if err != nil {
		return nil, "", err
	}
	cred, err := wa.FinishRegistration(acc, c.Data, r)
	if err != nil {
		return nil, "", protocol.Errorf(protocol.CodeUnauthorized, "the passkey was not accepted: %v", err)
	}
	if len(acc.Credentials) >= MaxPasskeysPerAccount {
		return nil, "", protocol.Errorf(protocol.CodeForbidden, "an account holds at most %d passkeys", MaxPasskeysPerAccount)
	}
	acc.addCredential(*cred, p.now().UnixMilli())
	if err := p.Accounts.update(ctx, acc, rev); err != nil {
		return nil, "", err
	}
	token, err := p.sessionFor(ctx, acc)
	return acc, token, err
}

// sessionFor makes an account session for a passkey sign-in to acc (read
// before): if the account was deleted meanwhile (manage.go: the record
// goes first, then its sessions), the new session, which that deletion
// may have missed, is ended and the sign-in refused.
func (p *Passkeys) sessionFor(ctx context.Context, acc *Account) (string, error) {
	if p.beforeSession != nil {
		p.beforeSession()
	}
	token, _, err := p.Sessions.Create(ctx, acc.User, KindAccount, "")
	if err != nil {
		return "", err
	}
	if _, _, err := p.Accounts.Get(ctx, acc.User.ID); err != nil {
		p.Sessions.Revoke(ctx, token)
		if errors.Is(err, ErrNoAccount) {
			return "", protocol.Errorf(protocol.CodeUnauthorized, "this account was deleted")
		}
		return "", err
	}
	return token, nil
}

func base32NoPad(b []byte) string {
	const alphabet = "ABCDEFGHJKMNPQRSTVWXYZ0123456789" // Crockford: no I, L, O, U
	var out []byte
	var acc, bits uint
	for _, x := range b {
		acc = acc<<8 | uint(x)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[acc>>bits&31])
		}
	}
	if bits > 0 {
		out = append(out, alphabet[acc<<(5-bits)&31])
	}
	return string(out)
}
