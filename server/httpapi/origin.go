package httpapi

import (
	"net/http"
	"strings"

	"livefeed/shared/protocol"
)

// crossOrigin returns why r may not change anything, or nil: a
// state-changing request (any method but GET, HEAD and OPTIONS) that does
// not carry a bearer token (which is its own credential) must pass the
// origin policy (package origin).
func (s *Server) crossOrigin(r *http.Request) *protocol.Error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return nil
	}
	if err := s.origins.Check(r, s.cfg.ClientIP.Proto(r)); err != nil {
		return protocol.Errorf(protocol.CodeForbidden, "%v; use a bearer token from other sites", err)
	}
	return nil
}
