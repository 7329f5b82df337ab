package httpapi

import (
	"errors"
	"net/http"

	"livefeed/server/auth"
	"livefeed/shared/protocol"
)

// identify finds the caller (auth.Sessions.Identify): on failure it has
// answered 401 (no, invalid or revoked session) or 503 (the sessions cannot
// be read) and returns false.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	sess, err := s.cfg.Auth.Identify(r)
	switch {
	case errors.Is(err, auth.ErrInvalid):
		writeError(w, http.StatusUnauthorized, protocol.Errorf(protocol.CodeUnauthorized, "not signed in (missing, invalid or revoked session)"))
		return auth.Session{}, false
	case err != nil:
		s.cfg.Logger.Warn("session lookup failed", "err", err)
		e := protocol.Errorf(protocol.CodeInternal, "sessions are unavailable; try again")
		e.Temporary = true
		writeError(w, http.StatusServiceUnavailable, e)
		return auth.Session{}, false
	}
	return sess, true
}

// whoAmIResponse answers GET /api/session.
type whoAmIResponse struct {
	User protocol.User `json:"user"`
	// Kind is the session's: "guest", "account" or "api-token".
	Kind auth.Kind `json:"kind"`
	// Expires is when the session ends unless renewed (Unix ms).
	Expires int64 `json:"expires"`
}

func (s *Server) whoAmI(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.identify(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, whoAmIResponse{User: sess.User, Kind: sess.Kind, Expires: sess.Expires})
}

// clearCookie removes the session cookie from the browser.
func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	c := auth.Cookie("", s.cfg.ClientIP.Proto(r) == "https")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// signOut ends the caller's session (DELETE /api/session): its record is
// deleted, so the token is refused from now on by every node and its open
// WebSockets are closed with protocol.CloseSignedOut. Without a valid
// session it only clears the cookie (204 either way).
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if t := auth.TokenOf(r); t != "" {
		if err := s.cfg.Auth.Revoke(r.Context(), t); err != nil && !errors.Is(err, auth.ErrInvalid) {
			s.cfg.Logger.Warn("sign out", "err", err)
			writeError(w, http.StatusServiceUnavailable, protocol.Errorf(protocol.CodeInternal, "could not sign out; try again"))
			return
		}
	}
	s.clearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// signOutEverywhere ends every browser session of the caller's user
// (DELETE /api/sessions), this one included; API tokens stay (they are
// revoked one by one). It answers {"ended": N}. Only a browser session
// may: a bot's token ending its owner's sessions would be a token doing
// more than posting (403).
func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.identify(w, r)
	if !ok {
		return
	}
	if sess.Kind == auth.KindAPIToken {
		writeError(w, http.StatusForbidden, protocol.Errorf(protocol.CodeForbidden, "an API token cannot sign its account out; sign out everywhere from a signed-in browser"))
		return
	}
	n, err := s.cfg.Auth.RevokeUser(r.Context(), sess.User.ID, auth.KindGuest, auth.KindAccount)
	if err != nil {
		s.cfg.Logger.Warn("sign out everywhere", "err", err)
		writeError(w, http.StatusServiceUnavailable, protocol.Errorf(protocol.CodeInternal, "could not sign out everywhere; try again"))
		return
	}
	s.clearCookie(w, r)
	writeJSON(w, http.StatusOK, map[string]int{"ended": n})
}
