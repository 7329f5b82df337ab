package httpapi

import (
	"errors"
	"net/http"

	"livefeed/server/auth"
	"livefeed/shared/protocol"
)

// Managing the signed-in account (auth/manage.go): its passkeys, its
// display name, deleting it. Only an account's browser session may: an
// API token cannot (accountSession), nor can a guest. Each change counts
// against the sign-in rate of its client address (limitSignIn): a rename
// rewrites every session of the account, so it is no cheaper than a
// sign-in.

func (s *Server) routeManage() {
	s.mux.HandleFunc("GET /api/account", s.withAccount(s.showAccount))
	s.mux.HandleFunc("PATCH /api/account", s.limitSignIn(s.withAccount(s.renameAccount)))
	s.mux.HandleFunc("DELETE /api/account", s.limitSignIn(s.withAccount(s.deleteAccount)))
	s.mux.HandleFunc("DELETE /api/account/passkeys/{id}", s.limitSignIn(s.withAccount(s.removePasskey)))
}

// withAccount runs h with the caller's account session, or answers 401,
// 403 (a guest, an API token) or 404 (no accounts on this server).
func (s *Server) withAccount(h func(http.ResponseWriter, *http.Request, auth.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Passkeys == nil {
			writeError(w, http.StatusNotFound, protocol.Errorf(protocol.CodeNotFound, "accounts are not enabled on this server"))
			return
		}
		if sess, ok := s.accountSession(w, r); ok {
			h(w, r, sess)
		}
	}
}

// accountResponse answers GET and PATCH /api/account.
type accountResponse struct {
	User     protocol.User      `json:"user"`
	Created  int64              `json:"created"`
	Passkeys []auth.PasskeyInfo `json:"passkeys"`
}

// showAccount: GET /api/account → the account and its passkeys.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, sess auth.Session) {
	acc, _, err := s.cfg.Passkeys.Accounts.Get(r.Context(), sess.User.ID)
	if err != nil {
		s.writeAccountError(w, "read the account", err)
		return
	}
	writeJSON(w, http.StatusOK, accountResponse{User: acc.User, Created: acc.Created, Passkeys: acc.Passkeys()})
}

// renameAccount: PATCH /api/account {"name":"Ada L."} → the account.
func (s *Server) renameAccount(w http.ResponseWriter, r *http.Request, sess auth.Session) {
	var req struct {
		Name string `json:"name"`
	}
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	if _, err := s.cfg.Passkeys.Rename(r.Context(), sess.User.ID, req.Name); err != nil {
		s.writeAccountError(w, "rename the account", err)
		return
	}
	s.showAccount(w, r, sess)
}

// removePasskey: DELETE /api/account/passkeys/{id} → 204; 404 for an id
// that is not one of the account's, 403 for its last passkey.
func (s *Server) removePasskey(w http.ResponseWriter, r *http.Request, sess auth.Session) {
	if err := s.cfg.Passkeys.RemovePasskey(r.Context(), sess.User.ID, r.PathValue("id")); err != nil {
		s.writeAccountError(w, "remove the passkey", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteAccount: DELETE /api/account {"confirm":"ada"} (the account's
// handle) → {"ended":N}, the sessions it ended (this one too).
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, sess auth.Session) {
	var req struct {
		Confirm string `json:"confirm"`
	}
	if e := decodeBody(w, r, &req); e != nil {
		writeError(w, http.StatusBadRequest, e)
		return
	}
	n, err := s.cfg.Passkeys.DeleteAccount(r.Context(), sess.User.ID, req.Confirm)
	if err != nil {
		s.writeAccountError(w, "delete the account", err)
		return
	}
	s.clearCookie(w, r)
	writeJSON(w, http.StatusOK, map[string]int{"ended": n})
}

// writeAccountError is writeAuthError, with a gone account as 401 (it was
// deleted meanwhile: the session is ending).
func (s *Server) writeAccountError(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, auth.ErrNoAccount) {
		writeError(w, http.StatusUnauthorized, protocol.Errorf(protocol.CodeUnauthorized, "this account no longer exists"))
		return
	}
	s.writeAuthError(w, what, err)
}
