package httpapi

import (
	"errors"
	"net/http"

	"livefeed/server/auth"
	"livefeed/shared/protocol"
)

// API tokens: an account's revocable bearer tokens for bots (sessions of
// kind api-token, auth.MaxTokensPerAccount of them). Made, listed and
// revoked from a signed-in browser (or any account session); a token
// cannot make more tokens.

func (s *Server) routeTokens() {
	s.mux.HandleFunc("POST /api/tokens", s.createToken)
	s.mux.HandleFunc("GET /api/tokens", s.listTokens)
	s.mux.HandleFunc("DELETE /api/tokens/{id}", s.revokeToken)
}

// accountSession is identify for the routes that manage an account (its
// tokens, passkeys, name): an account's browser session, else 401/403. An
// API token manages nothing, itself included.
func (s *Server) accountSession(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	sess, ok := s.identify(w, r)
	if !ok {
		return sess, false
	}
	if sess.Kind != auth.KindAccount {
		writeError(w, http.StatusForbidden, protocol.Errorf(protocol.CodeForbidden, "only an account's signed-in browser can do this: sign in with a passkey (an API token cannot manage the account or its tokens)"))
		return sess, false
	}
	return sess, true
}

// tokenInfo describes a token without its secret.
type tokenInfo struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Created int64  `json:"created"`
	Expires int64  `json:"expires"`
}

func infoOf(t auth.Session) tokenInfo {
	return tokenInfo{ID: t.ID, Label: t.Label, Created: t.Created, Expires: t.Expires}
}

// createToken: POST /api/tokens {"label":"deploy bot"} → the token (shown
// this once) and its info.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.accountSession(w, r)
	if !ok {
		return
	}
	var req struct {
		Label string `json:"label"`
	}
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	label, perr := protocol.CheckName(req.Label)
	if perr != nil {
		perr.Message = "label: " + perr.Message
		writeError(w, http.StatusBadRequest, perr)
		return
	}
	token, rec, err := s.cfg.Auth.Create(r.Context(), sess.User, auth.KindAPIToken, label)
	if errors.Is(err, auth.ErrSessionLimit) {
		writeError(w, http.StatusConflict, protocol.Errorf(protocol.CodeForbidden, "an account holds at most %d API tokens; revoke one first", auth.MaxTokensPerAccount))
		return
	} else if err != nil {
		s.writeAuthError(w, "make a token", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Token string `json:"token"`
		tokenInfo
	}{token, infoOf(rec)})
}

// listTokens: GET /api/tokens → {"tokens":[info...]}.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.accountSession(w, r)
	if !ok {
		return
	}
	l, err := s.cfg.Auth.List(r.Context(), sess.User.ID)
	if err != nil {
		s.writeAuthError(w, "list tokens", err)
		return
	}
	out := []tokenInfo{}
	for _, t := range l {
		if t.Kind == auth.KindAPIToken {
			out = append(out, infoOf(t))
		}
	}
	writeJSON(w, http.StatusOK, map[string][]tokenInfo{"tokens": out})
}

// revokeToken: DELETE /api/tokens/{id} → 204; 404 for an id that is not
// one of the caller's tokens.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.accountSession(w, r)
	if !ok {
		return
	}
	l, err := s.cfg.Auth.List(r.Context(), sess.User.ID)
	if err != nil {
		s.writeAuthError(w, "revoke the token", err)
		return
	}
	id := r.PathValue("id")
	for _, t := range l {
		if t.Kind == auth.KindAPIToken && t.ID == id {
			if err := s.cfg.Auth.RevokeID(r.Context(), sess.User.ID, id); err != nil {
				s.writeAuthError(w, "revoke the token", err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "you have no API token %q", id))
}
