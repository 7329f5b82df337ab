// Package auth is who a request comes from: server-side sessions kept in a
// JetStream key-value bucket beside the log (session.go), guests
// (guest.go), accounts with a unique handle (handle.go, account.go),
// their passkeys (passkey.go) and bots' API tokens (token.go).
//
// A user id is made once, at a guest's first join or an account's sign-up,
// and never changes: authorization (who may edit a post) is keyed on it.
// A token names a session record; the record, not the token, says who the
// user is, so deleting it ends the session on every node at once. The
// browser holds its token in an HttpOnly cookie, a native client sends it
// as a bearer token. The Signer's key signs tokens, so that a made-up one
// is refused without a lookup.
package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CookieName is the session cookie over plain HTTP; SecureCookieName over
// HTTPS, where the __Host- prefix makes the browser refuse it unless it is
// Secure, for the whole host and no domain (so a sibling subdomain cannot
// set or shadow it).
const (
	CookieName       = "livefeed_session"
	SecureCookieName = "__Host-livefeed_session"
)

// KeyFile is the file in the data directory that holds the signing key.
const KeyFile = "session.key"

// ErrInvalid: the token is missing, malformed, forged, expired or revoked.
var ErrInvalid = errors.New("auth: invalid session")

// Signer signs and checks session tokens (the mac in session.go).
type Signer struct {
	key []byte
}

// NewSigner returns a signer with key (at least 32 bytes).
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("auth: key is %d bytes; at least 32 needed", len(key))
	}
	return &Signer{key: key}, nil
}

// LoadOrCreateKey reads the key from dir/KeyFile, creating it with 32
// random bytes (mode 0600) the first time.
func LoadOrCreateKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	if b, err := os.ReadFile(path); err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("auth: %s is not a hex key of at least 32 bytes", path)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("auth: read key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: create data dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // created concurrently
			return LoadOrCreateKey(dir)
		}
		return nil, fmt.Errorf("auth: create key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("auth: write key: %w", err)
	}
	return key, f.Sync()
}

// Cookie returns the session cookie for token.
func Cookie(token string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: cookieName(secure), Value: token, Path: "/", MaxAge: int(SessionMaxLifetime / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	}
}

func cookieName(secure bool) string {
	if secure {
		return SecureCookieName
	}
	return CookieName
}
