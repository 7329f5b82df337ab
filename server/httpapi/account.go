package httpapi

import (
	"context"
	"net/http"
	"time"

	"livefeed/server/auth"
	"livefeed/shared/protocol"
)

// Accounts and passkeys (auth.Passkeys): each ceremony is a begin, which
// answers the options for navigator.credentials.create or .get and a
// ceremony id, and a finish, whose body is the browser's
// PublicKeyCredential as JSON (with ?ceremony=ID). Every request of a
// ceremony counts against the sign-in rate of its client address.

func (s *Server) routeAccounts() {
	s.mux.HandleFunc("POST /api/account/sign-up/begin", s.limitSignIn(s.signUpBegin))
	s.mux.HandleFunc("POST /api/account/sign-up/finish", s.limitSignIn(s.finish("finish the sign-up", (*auth.Passkeys).FinishSignUp)))
	s.mux.HandleFunc("POST /api/account/sign-in/begin", s.limitSignIn(s.signInBegin))
	s.mux.HandleFunc("POST /api/account/sign-in/finish", s.limitSignIn(s.finish("finish the sign-in", (*auth.Passkeys).FinishSignIn)))
	s.mux.HandleFunc("POST /api/account/passkeys/code", s.passkeyCode)
	s.mux.HandleFunc("POST /api/account/passkeys/begin", s.limitSignIn(s.addPasskeyBegin))
	s.mux.HandleFunc("POST /api/account/passkeys/finish", s.limitSignIn(s.finish("add the passkey", (*auth.Passkeys).FinishAdd)))
}

// limitSignIn applies the sign-in rate per client address to h.
func (s *Server) limitSignIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if wait := s.signIns.Take(s.cfg.ClientIP.Of(r)); wait > 0 {
			writeError(w, http.StatusTooManyRequests, protocol.RateLimited(wait, "too many sign-ins from your address; try again in %s", wait.Round(time.Second)))
			return
		}
		if s.cfg.Passkeys == nil {
			writeError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "accounts are not enabled on this server"))
			return
		}
		h(w, r)
	}
}

type ceremonyResponse struct {
	Ceremony string `json:"ceremony"`
	// Options is the argument of navigator.credentials.create or .get
	// ({"publicKey": {...}}, binary fields base64url).
	Options any `json:"options"`
}

// writeAuthError answers an error of the auth package: its
// *protocol.Error with the matching status, or 503.
func (s *Server) writeAuthError(w http.ResponseWriter, what string, err error) {
	if e, ok := protocol.AsError(err); ok {
		status := statusOf(e.Code)
		if e.Code == protocol.CodeHandleTaken {
			status = http.StatusConflict
		}
		writeError(w, status, e)
		return
	}
	s.cfg.Logger.Warn(what, "err", err)
	e := protocol.Errorf(protocol.CodeInternal, "could not %s; try again", what)
	e.Temporary = true
	writeError(w, http.StatusServiceUnavailable, e)
}

// signedIn answers a finished ceremony: the session cookie and token and
// the user.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, acc *auth.Account, token string) {
	http.SetCookie(w, auth.Cookie(token, s.cfg.ClientIP.Proto(r) == "https"))
	writeJSON(w, http.StatusOK, signInResponse{Token: token, User: acc.User})
}

type signUpRequest struct {
	Handle string `json:"handle"`
	Name   string `json:"name"`
}

func (s *Server) signUpBegin(w http.ResponseWriter, r *http.Request) {
	var req signUpRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	var guest *auth.Session
	if sess, err := s.cfg.Auth.Identify(r); err == nil && sess.Kind == auth.KindGuest {
		guest = &sess
	}
	id, opts, err := s.cfg.Passkeys.BeginSignUp(r.Context(), r, s.cfg.ClientIP.Proto(r), req.Handle, req.Name, guest)
	if err != nil {
		s.writeAuthError(w, "begin the sign-up", err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{Ceremony: id, Options: opts})
}

// finishFunc is a ceremony's finish (auth.Passkeys).
type finishFunc func(p *auth.Passkeys, ctx context.Context, r *http.Request, proto, ceremony string) (*auth.Account, string, error)

// finish answers a ceremony's finish (?ceremony=ID, the credential as the
// body, bounded by MaxBodyBytes as the WebAuthn library reads it itself)
// with the new session.
func (s *Server) finish(what string, f finishFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		acc, token, err := f(s.cfg.Passkeys, r.Context(), r, s.cfg.ClientIP.Proto(r), r.URL.Query().Get("ceremony"))
		if err != nil {
			s.writeAuthError(w, what, err)
			return
		}
		s.signedIn(w, r, acc, token)
	}
}

func (s *Server) signInBegin(w http.ResponseWriter, r *http.Request) {
	id, opts, err := s.cfg.Passkeys.BeginSignIn(r.Context(), r, s.cfg.ClientIP.Proto(r))
	if err != nil {
		s.writeAuthError(w, "begin the sign-in", err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{Ceremony: id, Options: opts})
}

// passkeyCode makes a one-time code for adding a passkey on another device
// (signed in to an account): {"code":"7K3M9QX2PA","expires":UNIX_MS}.
func (s *Server) passkeyCode(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.identify(w, r)
	if !ok {
		return
	}
	if s.cfg.Passkeys == nil || sess.Kind != auth.KindAccount {
		writeError(w, http.StatusForbidden, protocol.Errorf(protocol.CodeForbidden, "sign in to an account (with a passkey) first"))
		return
	}
	code, exp, err := s.cfg.Passkeys.NewCode(r.Context(), sess)
	if err != nil {
		s.writeAuthError(w, "make a code", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": code, "expires": exp.UnixMilli()})
}

type addPasskeyRequest struct {
	Handle string `json:"handle"`
	Code   string `json:"code"`
}

func (s *Server) addPasskeyBegin(w http.ResponseWriter, r *http.Request) {
	var req addPasskeyRequest
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	id, opts, err := s.cfg.Passkeys.BeginAdd(r.Context(), r, s.cfg.ClientIP.Proto(r), req.Handle, req.Code)
	if err != nil {
		s.writeAuthError(w, "begin adding a passkey", err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyResponse{Ceremony: id, Options: opts})
}
