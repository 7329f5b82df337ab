package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"livefeed/shared/protocol"
)

// Kind is what a session was made for.
type Kind string

const (
	// KindGuest: a quick join with a display name only.
	KindGuest Kind = "guest"
	// KindAccount: a sign-in to an account (passkey).
	KindAccount Kind = "account"
	// KindAPIToken: a bot's token, made by the account's owner; not
	// renewed, listed and revoked one by one (token.go).
	KindAPIToken Kind = "api-token"
)

// Lifetimes of sessions (docs/operations.md, "Sessions").
const (
	// SessionIdleTTL: a browser session (guest or account) not used for
	// this long expires. Each use after SessionRenewAfter slides its
	// expiry to now+SessionIdleTTL.
	SessionIdleTTL = 30 * 24 * time.Hour
	// SessionRenewAfter: a session is renewed (its record rewritten) at
	// most this often, so that a busy client does not write to the bucket
	// on every request.
	SessionRenewAfter = 24 * time.Hour
	// SessionMaxLifetime: however often it is used, a browser session
	// ends this long after it was made (sign in again). It is also the
	// cookie's Max-Age.
	SessionMaxLifetime = 365 * 24 * time.Hour
	// APITokenLifetime: an API token expires this long after it was
	// made; it is never renewed.
	APITokenLifetime = 365 * 24 * time.Hour
	// MaxSessionsPerUser: a user's browser sessions (devices, browsers).
	// Signing in once more ends the least recently used one.
	MaxSessionsPerUser = 20
	// MaxCachedSessions bounds each node's cache of looked-up sessions.
	MaxCachedSessions = 10_000
	// SessionCacheTTL: a cached session is fetched again after this long
	// even if the watch said nothing, bounding how stale a node can be
	// should it miss a deletion (a partition from NATS).
	SessionCacheTTL = time.Minute
	// sessionOpTimeout bounds the bucket writes a lookup starts (renewal,
	// removal of an expired record).
	sessionOpTimeout = 5 * time.Second
)

// Bucket is the key-value bucket the sessions live in
// (eventlog.OpenKV's): every session record is written with a TTL of its
// own, until its Expires, so that the server removes a record nobody
// presents again (a guest who never comes back) by itself; renewing a
// session rewrites it with a new TTL.
type Bucket interface {
	jetstream.KeyValue
	// UpdateTTL rewrites key if its latest revision is rev (0: if it has
	// none), to be removed ttl from now.
	UpdateTTL(ctx context.Context, key string, value []byte, rev uint64, ttl time.Duration) (uint64, error)
}

// Session is a session record, stored in the bucket under
// "s.<user id>.<session id>", with a TTL until Expires (Bucket).
type Session struct {
	// ID is public (a hash of the token's secret): it names the session in
	// lists and revocations, and cannot be turned back into the token.
	ID   string        `json:"id"`
	User protocol.User `json:"user"`
	Kind Kind          `json:"kind"`
	// Label is what the owner called an API token.
	Label string `json:"label,omitempty"`
	// Created, Renewed and Expires are Unix milliseconds.
	Created int64 `json:"created"`
	Renewed int64 `json:"renewed"`
	Expires int64 `json:"expires"`
}

// ErrSessionLimit: the user has as many sessions of that kind as allowed.
var ErrSessionLimit = errors.New("auth: too many sessions")

// Sessions are the server-side sessions, kept in a JetStream key-value
// bucket shared by every node. A token names one record; a request is
// authenticated by finding it (Identify). Deleting the record (Revoke)
// ends the session on every node at once: each node watches the bucket,
// drops its cached copy and tells OnRevoke's callbacks (the gateway closes
// the session's WebSockets). Safe for concurrent use.
type Sessions struct {
	kv     Bucket
	signer *Signer
	lg     *slog.Logger
	now    func() time.Time
	// idleTTL is SessionIdleTTL (shorter in tests, to see the server
	// remove a record).
	idleTTL time.Duration

	mu       sync.Mutex
	cache    map[string]cached    // by bucket key
	gone     map[string]time.Time // keys deleted lately (Gone), when seen
	renewing map[string]bool
	onRevoke []func(userID, sessionID string)

	watch jetstream.KeyWatcher
	stop  context.CancelFunc
	done  chan struct{}
}

type cached struct {
	s   Session
	rev uint64
	at  time.Time
}

// OpenSessions starts watching kv for revocations and returns the store.
// Tokens are signed with signer's key, so that a made-up token is refused
// before the bucket is asked.
func OpenSessions(ctx context.Context, kv Bucket, signer *Signer, lg *slog.Logger) (*Sessions, error) {
	if lg == nil {
		lg = slog.Default()
	}
	wctx, stop := context.WithCancel(context.Background())
	w, err := kv.Watch(wctx, sessionPrefix+">", jetstream.UpdatesOnly())
	if err != nil {
		stop()
		return nil, fmt.Errorf("auth: watch sessions: %w", err)
	}
	s := &Sessions{kv: kv, signer: signer, lg: lg, now: time.Now, idleTTL: SessionIdleTTL,
		cache: map[string]cached{}, gone: map[string]time.Time{}, renewing: map[string]bool{},
		watch: w, stop: stop, done: make(chan struct{})}
	go s.follow()
	return s, nil
}

// Close stops the watch.
func (s *Sessions) Close() {
	s.stop()
	s.watch.Stop()
	<-s.done
}

const sessionPrefix = "s."

// OnRevoke registers f, called (on the watch's goroutine; it must not
// block) with the user and session id of every session deleted anywhere
// in the cluster: revoked, expired or pushed out.
func (s *Sessions) OnRevoke(f func(userID, sessionID string)) {
	s.mu.Lock()
	s.onRevoke = append(s.onRevoke, f)
	s.mu.Unlock()
}

// goneFor is how long Gone remembers a deleted session: longer than an
// upgrade takes from its lookup to its registration.
const goneFor = time.Minute

// noteGoneLocked remembers a deleted key (at most MaxCachedSessions, the
// oldest forgotten first once they are older than goneFor).
func (s *Sessions) noteGoneLocked(key string) {
	now := s.now()
	if len(s.gone) >= MaxCachedSessions {
		for k, at := range s.gone {
			if now.Sub(at) >= goneFor || len(s.gone) >= MaxCachedSessions {
				delete(s.gone, k)
			}
		}
	}
	s.gone[key] = now
}

// Gone reports whether this node saw the session deleted in the last
// minute. The gateway asks after registering a connection it authenticated
// before: a revocation that arrived in between closes it too.
func (s *Sessions) Gone(userID, sessionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.gone[sessionKey(userID, sessionID)]
	return ok && s.now().Sub(at) < goneFor
}

// follow applies the bucket's changes to the cache until Close.
func (s *Sessions) follow() {
	defer close(s.done)
	for e := range s.watch.Updates() {
		if e == nil {
			continue // the end of the initial values (none: updates only)
		}
		key := e.Key()
		switch e.Operation() {
		case jetstream.KeyValueDelete, jetstream.KeyValuePurge:
			s.mu.Lock()
			delete(s.cache, key)
			s.noteGoneLocked(key)
			hooks := slices.Clone(s.onRevoke)
			s.mu.Unlock()
			if user, id, ok := splitKey(key); ok {
				for _, f := range hooks {
					f(user, id)
				}
			}
		case jetstream.KeyValuePut:
			var rec Session
			if json.Unmarshal(e.Value(), &rec) != nil {
				continue
			}
			s.mu.Lock()
			if _, ok := s.cache[key]; ok {
				s.cache[key] = cached{s: rec, rev: e.Revision(), at: s.now()}
			}
			s.mu.Unlock()
		}
	}
}

// Token format: "<user id>.<secret>.<mac>". The secret is 16 random bytes;
// the mac (HMAC-SHA256 of "<user id>.<secret>" with the signer's key, 16
// bytes) lets a node refuse forged tokens without a lookup; the record's
// key holds the user id and a hash of the secret, so the bucket's contents
// are not tokens.
const (
	secretBytes = 16
	macBytes    = 16
)

// sessionKey returns the bucket key of a session.
func sessionKey(userID, sessionID string) string {
	return sessionPrefix + userID + "." + sessionID
}

func splitKey(key string) (userID, sessionID string, ok bool) {
	rest, ok := strings.CutPrefix(key, sessionPrefix)
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, ".")
}

// sessionIDOf is the public id of a token's secret.
func sessionIDOf(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:16])
}

// mac signs a token's "<user id>.<secret>".
func (g *Signer) mac(userID, secret string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte("session\x00" + userID + "." + secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macBytes])
}

// mint returns the token of userID and secret.
func (g *Signer) mint(userID, secret string) string {
	return userID + "." + secret + "." + g.mac(userID, secret)
}

// parse checks a token's form and mac and returns its bucket key.
func (g *Signer) parse(token string) (key string, err error) {
	user, rest, ok := strings.Cut(token, ".")
	if !ok || !protocol.ValidUserID(user) {
		return "", ErrInvalid
	}
	secret, mac, ok := strings.Cut(rest, ".")
	if !ok || len(secret) != base64.RawURLEncoding.EncodedLen(secretBytes) || !hmac.Equal([]byte(mac), []byte(g.mac(user, secret))) {
		return "", ErrInvalid
	}
	return sessionKey(user, sessionIDOf(secret)), nil
}

// Create makes a session of kind for u and returns its token. A browser
// session over MaxSessionsPerUser ends the user's least recently used
// one; an API token over MaxTokensPerAccount is refused with
// ErrSessionLimit. label names an API token.
func (s *Sessions) Create(ctx context.Context, u protocol.User, kind Kind, label string) (string, Session, error) {
	if !protocol.ValidUserID(u.ID) {
		return "", Session{}, fmt.Errorf("auth: bad user id %q", u.ID)
	}
	own, err := s.List(ctx, u.ID)
	if err != nil {
		return "", Session{}, err
	}
	now := s.now()
	if kind == KindAPIToken {
		if countKind(own, KindAPIToken) >= MaxTokensPerAccount {
			return "", Session{}, ErrSessionLimit
		}
	} else {
		browser := slices.DeleteFunc(own, func(x Session) bool { return x.Kind == KindAPIToken })
		slices.SortFunc(browser, func(a, b Session) int { return int(a.Renewed - b.Renewed) })
		for len(browser) >= MaxSessionsPerUser {
			if err := s.delete(ctx, sessionKey(u.ID, browser[0].ID)); err != nil {
				return "", Session{}, err
			}
			browser = browser[1:]
		}
	}
	var raw [secretBytes]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Session{}, err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	rec := Session{ID: sessionIDOf(secret), User: u, Kind: kind, Label: label,
		Created: now.UnixMilli(), Renewed: now.UnixMilli()}
	switch kind {
	case KindAPIToken:
		rec.Expires = now.Add(APITokenLifetime).UnixMilli()
	default:
		rec.Expires = now.Add(s.idleTTL).UnixMilli()
	}
	key := sessionKey(u.ID, rec.ID)
	rev, err := s.write(ctx, key, rec, 0)
	if err != nil {
		return "", Session{}, fmt.Errorf("auth: store session: %w", err)
	}
	// The client connects next, most often to this node: its first
	// lookup needs no read of the bucket.
	s.remember(key, cached{s: rec, rev: rev, at: now})
	return s.signer.mint(u.ID, secret), rec, nil
}

func countKind(l []Session, k Kind) int {
	n := 0
	for _, x := range l {
		if x.Kind == k {
			n++
		}
	}
	return n
}

// List returns the user's sessions (expired ones left out).
func (s *Sessions) List(ctx context.Context, userID string) ([]Session, error) {
	if !protocol.ValidUserID(userID) {
		return nil, nil
	}
	keys, err := s.kv.ListKeysFiltered(ctx, sessionPrefix+userID+".*")
	if err != nil {
		return nil, fmt.Errorf("auth: list sessions: %w", err)
	}
	var names []string
	for k := range keys.Keys() {
		names = append(names, k)
	}
	keys.Stop()
	now := s.now().UnixMilli()
	var out []Session
	for _, k := range names {
		e, err := s.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("auth: read session: %w", err)
		}
		var rec Session
		if json.Unmarshal(e.Value(), &rec) != nil || rec.Expires < now {
			continue
		}
		out = append(out, rec)
	}
	return out, nil
}

// Lookup returns the session of token, renewing it when due.
func (s *Sessions) Lookup(ctx context.Context, token string) (Session, error) {
	key, err := s.signer.parse(token)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if !ok || now.Sub(c.at) >= SessionCacheTTL {
		e, err := s.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			s.forget(key)
			return Session{}, ErrInvalid
		} else if err != nil {
			return Session{}, fmt.Errorf("auth: look up session: %w", err)
		}
		var rec Session
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return Session{}, ErrInvalid
		}
		c = cached{s: rec, rev: e.Revision(), at: now}
		s.remember(key, c)
	}
	if now.UnixMilli() >= c.s.Expires {
		s.forget(key)
		go s.expire(key, c.rev)
		return Session{}, ErrInvalid
	}
	if c.s.Kind != KindAPIToken && now.Sub(time.UnixMilli(c.s.Renewed)) >= SessionRenewAfter {
		s.renew(key, c)
	}
	return c.s, nil
}

// remember caches a session read (or written) at c.rev, unless the watch
// has already seen it deleted: a lookup whose read raced with a revocation
// must not bring the session back for SessionCacheTTL (a deleted key never
// comes back: session ids are random). The cache holds at most
// MaxCachedSessions; one more pushes out any one.
func (s *Sessions) remember(key string, c cached) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, gone := s.gone[key]; gone {
		return
	}
	if _, ok := s.cache[key]; !ok && len(s.cache) >= MaxCachedSessions {
		for k := range s.cache { // any one: map order is random
			delete(s.cache, k)
			break
		}
	}
	s.cache[key] = c
}

func (s *Sessions) forget(key string) {
	s.mu.Lock()
	delete(s.cache, key)
	s.mu.Unlock()
}

// expire deletes an expired record (if it was not rewritten meanwhile),
// which also closes its sockets everywhere.
func (s *Sessions) expire(key string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
	defer cancel()
	if err := s.kv.Delete(ctx, key, jetstream.LastRevision(rev)); err != nil {
		s.lg.Debug("delete expired session", "err", err)
	}
}

// renew slides a session's expiry, in the background, once at a time. The
// write is conditional on the revision it read: a renewal never brings
// back a session revoked meanwhile.
func (s *Sessions) renew(key string, c cached) {
	s.mu.Lock()
	if s.renewing[key] {
		s.mu.Unlock()
		return
	}
	s.renewing[key] = true
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			delete(s.renewing, key)
			s.mu.Unlock()
		}()
		now := s.now()
		rec := c.s
		rec.Renewed = now.UnixMilli()
		rec.Expires = min(now.Add(s.idleTTL).UnixMilli(), time.UnixMilli(rec.Created).Add(SessionMaxLifetime).UnixMilli())
		ctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
		defer cancel()
		rev, err := s.write(ctx, key, rec, c.rev)
		if err != nil {
			s.lg.Debug("renew session", "err", err)
			return
		}
		s.mu.Lock()
		if _, ok := s.cache[key]; ok {
			s.cache[key] = cached{s: rec, rev: rev, at: now}
		}
		s.mu.Unlock()
	}()
}

// write stores rec under key if the key's latest revision is rev (0: a
// new key), with a TTL until rec.Expires: the server removes the record
// then, whether or not anyone looks it up again.
func (s *Sessions) write(ctx context.Context, key string, rec Session, rev uint64) (uint64, error) {
	b, _ := json.Marshal(rec)
	return s.kv.UpdateTTL(ctx, key, b, rev, time.UnixMilli(rec.Expires).Sub(s.now()))
}

// upgrade turns the user's guest sessions into sessions of the account u
// (same user id): a guest who made an account stays signed in as it.
func (s *Sessions) upgrade(ctx context.Context, u protocol.User) error {
	return s.rewriteUser(ctx, u.ID, func(rec *Session) bool {
		if rec.Kind != KindGuest {
			return false
		}
		rec.Kind, rec.User = KindAccount, u
		return true
	})
}

// rewriteUser rewrites each session of userID that f changes (returning
// true), keeping its expiry; every node's cache takes the new record
// from the watch.
func (s *Sessions) rewriteUser(ctx context.Context, userID string, f func(*Session) bool) error {
	l, err := s.List(ctx, userID)
	if err != nil {
		return err
	}
	for _, rec := range l {
		if !f(&rec) {
			continue
		}
		key := sessionKey(userID, rec.ID)
		e, err := s.kv.Get(ctx, key)
		if err != nil {
			continue // ended meanwhile
		}
		if _, err := s.write(ctx, key, rec, e.Revision()); err != nil {
			return fmt.Errorf("auth: rewrite session: %w", err)
		}
		s.forget(key)
	}
	return nil
}

// Revoke ends the session of token on every node.
func (s *Sessions) Revoke(ctx context.Context, token string) error {
	key, err := s.signer.parse(token)
	if err != nil {
		return err
	}
	return s.delete(ctx, key)
}

// RevokeID ends the user's session id (an API token, another device).
func (s *Sessions) RevokeID(ctx context.Context, userID, sessionID string) error {
	if !protocol.ValidUserID(userID) || !validSessionID(sessionID) {
		return ErrInvalid
	}
	return s.delete(ctx, sessionKey(userID, sessionID))
}

// RevokeUser ends every session of the user of the given kinds ("sign out
// everywhere" ends the browser ones, guest and account) and returns how
// many it ended.
func (s *Sessions) RevokeUser(ctx context.Context, userID string, kinds ...Kind) (int, error) {
	l, err := s.List(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range l {
		if slices.Contains(kinds, x.Kind) {
			if err := s.delete(ctx, sessionKey(userID, x.ID)); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func (s *Sessions) delete(ctx context.Context, key string) error {
	s.forget(key)
	if err := s.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	s.forget(key) // a lookup racing with the delete may have cached it
	return nil
}

func validSessionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// TokenOf returns the bearer token or session cookie of a request ("" if
// none).
func TokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return ""
		}
		return strings.TrimSpace(t)
	}
	c, err := r.Cookie(SecureCookieName)
	if err != nil {
		if c, err = r.Cookie(CookieName); err != nil {
			return ""
		}
	}
	return c.Value
}

// Identify is the one authentication check of every handler: the session
// of the request's bearer token or cookie, or ErrInvalid. The user id it
// returns comes from the stored record only, never from anything else the
// request says.
func (s *Sessions) Identify(r *http.Request) (Session, error) {
	t := TokenOf(r)
	if t == "" {
		return Session{}, ErrInvalid
	}
	return s.Lookup(r.Context(), t)
}

// FromRequest is Identify's user.
func (s *Sessions) FromRequest(r *http.Request) (protocol.User, error) {
	sess, err := s.Identify(r)
	return sess.User, err
}
