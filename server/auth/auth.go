// Package auth issues and verifies signed sessions. A session is a display
// name and a random user id, signed with HMAC-SHA256; the browser holds it in
// an HttpOnly cookie, a native client sends it as a bearer token.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"livefeed/shared/protocol"
)

// CookieName is the session cookie over plain HTTP; SecureCookieName over
// HTTPS, where the __Host- prefix makes the browser refuse it unless it is
// Secure, for the whole host and no domain (so a sibling subdomain cannot
// set or shadow it).
const (
	CookieName       = "livefeed_session"
	SecureCookieName = "__Host-livefeed_session"
)

// SessionTTL is how long a session stays valid.
const SessionTTL = 365 * 24 * time.Hour

// KeyFile is the file in the data directory that holds the signing key.
const KeyFile = "session.key"

// ErrInvalid: the token is missing, malformed, forged or expired.
var ErrInvalid = errors.New("auth: invalid session")

// Signer issues and verifies session tokens.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a signer with key (at least 32 bytes).
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("auth: key is %d bytes; at least 32 needed", len(key))
	}
	return &Signer{key: key, now: time.Now}, nil
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

type claims struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Expiry int64  `json:"exp"`
}

// Issue signs in a display name: it returns a new user and its token.
func (s *Signer) Issue(name string) (protocol.User, string, error) {
	n, perr := protocol.CheckName(name)
	if perr != nil {
		return protocol.User{}, "", perr
	}
	var id [9]byte
	if _, err := rand.Read(id[:]); err != nil {
		return protocol.User{}, "", err
	}
	u := protocol.User{ID: "u" + base64.RawURLEncoding.EncodeToString(id[:]), Name: n}
	body, _ := json.Marshal(claims{ID: u.ID, Name: u.Name, Expiry: s.now().Add(SessionTTL).Unix()})
	p := base64.RawURLEncoding.EncodeToString(body)
	return u, p + "." + s.sign(p), nil
}

func (s *Signer) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a token and returns its user.
func (s *Signer) Verify(token string) (protocol.User, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(p))) {
		return protocol.User{}, ErrInvalid
	}
	body, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return protocol.User{}, ErrInvalid
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil || c.ID == "" || s.now().Unix() > c.Expiry {
		return protocol.User{}, ErrInvalid
	}
	return protocol.User{ID: c.ID, Name: c.Name}, nil
}

// FromRequest returns the user of a request's bearer token or session
// cookie.
func (s *Signer) FromRequest(r *http.Request) (protocol.User, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return protocol.User{}, ErrInvalid
		}
		return s.Verify(strings.TrimSpace(t))
	}
	c, err := r.Cookie(SecureCookieName)
	if err != nil {
		if c, err = r.Cookie(CookieName); err != nil {
			return protocol.User{}, ErrInvalid
		}
	}
	return s.Verify(c.Value)
}

// Cookie returns the session cookie for token.
func Cookie(token string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: cookieName(secure), Value: token, Path: "/", MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	}
}

func cookieName(secure bool) string {
	if secure {
		return SecureCookieName
	}
	return CookieName
}
