// Package httpapi is the server's HTTP surface: sign-in, the small API for bots
// and integrations, health and readiness, the WebSocket endpoint and the PWA.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"livefeed/server/auth"
	"livefeed/server/clientip"
	"livefeed/server/feed"
	"livefeed/server/internal/tokenbucket"
	"livefeed/server/origin"
	"livefeed/shared/protocol"
)

// MaxBodyBytes limits API request bodies.
const MaxBodyBytes = 64 << 10

// hstsMaxAge is how long (seconds) a browser that reached the server over
// HTTPS keeps to HTTPS: a year.
const hstsMaxAge = 365 * 24 * 3600

// RequestReadTimeout is how long a request's body may take to arrive after
// its headers (which have their own limit, the server's ReadHeaderTimeout).
// A client that trickles its body is cut off at that point, so it cannot
// hold a connection, and its descriptor, for as long as it likes.
const RequestReadTimeout = 10 * time.Second

// Config configures the HTTP API.
type Config struct {
	Service *feed.Service
	// Auth is the sessions: every handler finds its caller with
	// Auth.Identify (the one check, see identify.go).
	Auth *auth.Sessions
	// Passkeys are the account ceremonies (account.go); nil: no
	// accounts, guests only.
	Passkeys *auth.Passkeys
	// WebSocket serves /ws.
	WebSocket http.Handler
	// Downlink and Uplink serve the HTTP transport (GET
	// protocol.HTTPDownPath, POST protocol.HTTPUpPath; nil: not served).
	// Nothing here wraps them (no compression, no buffering).
	Downlink, Uplink http.Handler
	// App serves everything else (the PWA); nil answers 404.
	App    http.Handler
	Logger *slog.Logger
	// Metrics serves /metrics when set, to clients on loopback only (not
	// through a trusted proxy): what the server counts is not for the
	// public. Serve it on a listener of its own to scrape it from
	// elsewhere.
	Metrics http.Handler
	// PostRate limits posts per second per user (bursts of twice as
	// many): 0 is DefaultPostRate, a negative rate is no limit.
	PostRate float64
	// SignInRate limits sign-ins per second per client address (bursts of
	// SignInBurst): 0 is DefaultSignInRate, a negative rate is no limit.
	SignInRate float64
	// ClientIP finds a request's client address (nil: its peer).
	ClientIP *clientip.Resolver
	// AdminToken, when set, is the bearer token of operators' requests
	// (DELETE /api/feeds/{feed}); empty disables them.
	AdminToken string
	// Hosts, when set, are the only Host headers served (from
	// --public-url): a page of another name that resolves to this server
	// (DNS rebinding) gets 421. /healthz and /readyz answer any host.
	Hosts []string
	// OriginPatterns are the other origins whose pages may use the
	// session cookie to change things (see origin.go); the app's own
	// origin always may.
	OriginPatterns []string
}

// Server is the HTTP handler.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	draining atomic.Bool
	posts    *tokenbucket.Keyed // per user; nil: no limit
	signIns  *tokenbucket.Keyed // per client address; nil: no limit
	origins  origin.Policy
}

// New returns the handler with every route registered.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PostRate == 0 {
		cfg.PostRate = DefaultPostRate
	}
	if cfg.SignInRate == 0 {
		cfg.SignInRate = DefaultSignInRate
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(),
		posts:   tokenbucket.NewKeyed(cfg.PostRate, 2*cfg.PostRate),
		signIns: tokenbucket.NewKeyed(cfg.SignInRate, SignInBurst),
		origins: origin.Policy{Patterns: cfg.OriginPatterns},
	}
	s.mux.HandleFunc("POST /api/session", s.signIn)
	s.mux.HandleFunc("GET /api/session", s.whoAmI)
	s.mux.HandleFunc("DELETE /api/session", s.signOut)
	s.mux.HandleFunc("DELETE /api/sessions", s.signOutEverywhere)
	s.routeAccounts()
	s.routeTokens()
	s.routeManage()
	s.mux.HandleFunc("POST /api/feeds/{feed}/posts", s.post)
	s.mux.HandleFunc("GET /api/feeds/{feed}", s.snapshot)
	s.mux.HandleFunc("GET /api/feeds/{feed}/history", s.history)
	s.mux.HandleFunc("DELETE /api/feeds/{feed}", s.removeFeed)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.ready)
	if cfg.WebSocket != nil {
		s.mux.Handle("GET /ws", cfg.WebSocket)
	}
	if cfg.Downlink != nil {
		s.mux.Handle("GET "+protocol.HTTPDownPath, cfg.Downlink)
	}
	if cfg.Uplink != nil {
		s.mux.Handle("POST "+protocol.HTTPUpPath, cfg.Uplink)
	}
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", s.loopbackOnly(cfg.Metrics))
	}
	if cfg.App != nil {
		s.mux.Handle("/", cfg.App)
	}
	return s
}

// knownHost reports whether r's Host is one the server serves (any, when
// Config.Hosts is empty; health checks always).
func (s *Server) knownHost(r *http.Request) bool {
	if len(s.cfg.Hosts) == 0 || r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		return true
	}
	for _, h := range s.cfg.Hosts {
		if strings.EqualFold(h, r.Host) {
			return true
		}
	}
	return false
}

// loopbackOnly answers 404 to requests that do not come from this machine
// (directly: a request forwarded by a trusted proxy comes from outside).
func (s *Server) loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := clientip.Peer(r.RemoteAddr)
		if !peer.IsLoopback() || s.cfg.ClientIP.Trusted(peer) {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// SetDraining makes /readyz answer 503 (during shutdown).
func (s *Server) SetDraining() { s.draining.Store(true) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Cleared once a body has been read (decodeBody) or the connection
	// becomes a WebSocket; it also bounds the discard of a body the
	// handler did not read.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(RequestReadTimeout))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if s.cfg.ClientIP.Proto(r) == "https" {
		w.Header().Set("Strict-Transport-Security", "max-age="+strconv.Itoa(hstsMaxAge))
	}
	if !s.knownHost(r) {
		writeError(w, http.StatusMisdirectedRequest, protocol.Errorf(protocol.CodeForbidden, "this server does not serve the host %q", r.Host))
		return
	}
	if e := s.crossOrigin(r); e != nil {
		writeError(w, http.StatusForbidden, e)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// ready answers /readyz: 200 while the node takes writes, 503 with the
// reason while it drains, loads, or cannot make writes durable.
func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		http.Error(w, "not ready: shutting down", http.StatusServiceUnavailable)
		return
	}
	if err := s.cfg.Service.Health(); err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

type errorBody struct {
	Error *protocol.Error `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes e with status (and Retry-After when e says when to
// retry).
func writeError(w http.ResponseWriter, status int, e *protocol.Error) {
	if e.RetryAfterMS > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(float64(e.RetryAfterMS)/1000)), 10))
	}
	writeJSON(w, status, errorBody{Error: e})
}

// statusOf maps an error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case protocol.CodeNotFound:
		return http.StatusNotFound
	case protocol.CodeForbidden:
		return http.StatusForbidden
	case protocol.CodeUnauthorized:
		return http.StatusUnauthorized
	case protocol.CodeInternal:
		return http.StatusServiceUnavailable
	case protocol.CodeRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) *protocol.Error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(r.Body)
	err := dec.Decode(v)
	if err == nil {
		// The body is in: lift the deadline, so that a slow append (the
		// log waiting for its fsync) does not cancel the request.
		http.NewResponseController(w).SetReadDeadline(time.Time{})
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return protocol.Errorf(protocol.CodeBadField, "body larger than %d bytes", MaxBodyBytes)
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return protocol.Errorf(protocol.CodeBadJSON, "body did not arrive within %s", RequestReadTimeout)
		}
		return protocol.Errorf(protocol.CodeBadJSON, "body is not the expected JSON: %v", err)
	}
	return nil
}

type signInRequest struct {
	Name string `json:"name"`
}

type signInResponse struct {
	Token string        `json:"token"`
	User  protocol.User `json:"user"`
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if wait := s.signIns.Take(s.cfg.ClientIP.Of(r)); wait > 0 {
		writeError(w, http.StatusTooManyRequests, protocol.RateLimited(wait, "too many sign-ins from your address; try again in %s", wait.Round(time.Second)))
		return
	}
	var req signInRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	u, token, err := s.cfg.Auth.Guest(r.Context(), req.Name)
	if err != nil {
		if e, ok := protocol.AsError(err); ok {
			writeError(w, http.StatusBadRequest, e)
			return
		}
		writeError(w, http.StatusInternalServerError, protocol.Errorf(protocol.CodeInternal, "could not sign in"))
		return
	}
	http.SetCookie(w, auth.Cookie(token, s.cfg.ClientIP.Proto(r) == "https"))
	writeJSON(w, http.StatusOK, signInResponse{Token: token, User: u})
}

type postRequest struct {
	// Op is an optional op id; with it, a retried request posts once.
	Op   string `json:"op"`
	Text string `json:"text"`
}

// post lets bots post with a bearer token: POST /api/feeds/{feed}/posts.
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.identify(w, r)
	if !ok {
		return
	}
	u := sess.User
	var req postRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	if wait := s.posts.Take(u.ID); wait > 0 {
		e := protocol.RateLimited(wait, "more than %g posts per second; send it again later (with the same op, it posts once)", s.cfg.PostRate)
		e.Op, e.Feed = req.Op, r.PathValue("feed")
		writeError(w, http.StatusTooManyRequests, e)
		return
	}
	if req.Op == "" {
		req.Op = protocol.NewOpID()
	}
	a := protocol.Action{Op: req.Op, Feed: r.PathValue("feed"), Text: req.Text}.WithKind(protocol.TypePost)
	if err := a.Validate(); err != nil {
		e, _ := protocol.AsError(err)
		writeError(w, statusOf(e.Code), e)
		return
	}
	ack, err := s.cfg.Service.Do(feed.WithClient(r.Context(), s.cfg.ClientIP.Of(r)), u, a)
	if err != nil {
		e, ok := protocol.AsError(err)
		if !ok {
			e = protocol.Errorf(protocol.CodeInternal, "could not post; retry with the same op")
		}
		writeError(w, statusOf(e.Code), e)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

// snapshot returns a feed's current state: GET /api/feeds/{feed}.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("feed")
	if !protocol.ValidFeed(name) {
		writeError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadFeed, "feed name does not match %s", protocol.FeedPattern))
		return
	}
	me, _ := s.cfg.Auth.FromRequest(r) // signed in or not: only the order of reactions' users differs
	writeJSON(w, http.StatusOK, s.cfg.Service.SnapshotFor(name, me.ID))
}

// HistoryWait is how long GET /api/feeds/{feed}/history waits for this
// node to have applied the position the client asks for (at=), before it
// answers 503 with a Retry-After.
const HistoryWait = 5 * time.Second

// history returns a page of a feed's older posts (protocol.History): GET
// /api/feeds/{feed}/history?before=B&at=P, the posts created before
// position B, as of a feed position of at least P (the client's own,
// so that the page never misses an event the client has applied).
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("feed")
	if !protocol.ValidFeed(name) {
		writeError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadFeed, "feed name does not match %s", protocol.FeedPattern))
		return
	}
	q := r.URL.Query()
	before, err := strconv.ParseUint(q.Get("before"), 10, 64)
	if err != nil || before == 0 {
		writeError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadField, "before must be a position, a whole number from 1"))
		return
	}
	var at uint64
	if v := q.Get("at"); v != "" {
		if at, err = strconv.ParseUint(v, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadField, "at must be a position, a whole number"))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), HistoryWait)
	defer cancel()
	if err := s.cfg.Service.WaitApplied(ctx, at); err != nil {
		w.Header().Set("Retry-After", "1")
		e := protocol.Errorf(protocol.CodeInternal, "this server has not caught up with position %d yet; try again", at)
		e.Temporary = true
		writeError(w, http.StatusServiceUnavailable, e)
		return
	}
	me, _ := s.cfg.Auth.FromRequest(r)
	writeJSON(w, http.StatusOK, s.cfg.Service.View().HistoryFor(name, me.ID, before))
}

// removeFeed removes a feed for an operator: DELETE /api/feeds/{feed} with
// the admin token as bearer. Its posts are gone for everyone (followers get
// a "removed" event) and it no longer counts toward protocol.MaxFeeds. An
// optional ?op= makes a retry a no-op.
func (s *Server) removeFeed(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AdminToken == "" {
		writeError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "removing feeds is not enabled on this server (start it with --admin-token-file)"))
		return
	}
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(t), []byte(s.cfg.AdminToken)) != 1 {
		writeError(w, http.StatusUnauthorized, protocol.Errorf(protocol.CodeUnauthorized, "the admin token is missing or wrong"))
		return
	}
	name := r.PathValue("feed")
	if !protocol.ValidFeed(name) {
		writeError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadFeed, "feed name does not match %s", protocol.FeedPattern))
		return
	}
	op := r.URL.Query().Get("op")
	if op == "" {
		op = protocol.NewOpID()
	}
	if !protocol.ValidOpID(op) {
		writeError(w, http.StatusBadRequest, protocol.Errorf(protocol.CodeBadField, "op must be 1..%d bytes of [A-Za-z0-9_-]", protocol.MaxOpIDBytes))
		return
	}
	pos, err := s.cfg.Service.RemoveFeed(r.Context(), name, op)
	switch {
	case errors.Is(err, feed.ErrNoFeed):
		writeError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "feed %q has no posts", name))
	case err != nil:
		s.cfg.Logger.Error("remove feed", "feed", name, "err", err)
		writeError(w, http.StatusServiceUnavailable, protocol.Errorf(protocol.CodeInternal, "could not remove the feed; retry with the same op"))
	default:
		writeJSON(w, http.StatusOK, map[string]any{"feed": name, "pos": pos, "op": op})
	}
}
