package httpapi

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"livefeed/shared/protocol"
)

// Cross-site request forgery. A browser attaches the session cookie to a
// request from any page of the same site (SameSite=Lax stops only other
// sites), and also to a top-level form POST from another site's page: a
// page on another port of the same host, or on a sibling subdomain, could
// post as the person, and any page could sign them in as someone else
// (login CSRF).
//
// So a state-changing request (any method but GET, HEAD and OPTIONS) that
// does not authenticate with a bearer token must come from the app's own
// origin or an allowed one: its Origin header, scheme and host, must match;
// without an Origin header, Sec-Fetch-Site must be same-origin or none. A
// request with neither header is not from a browser (browsers send Origin
// with every POST, no-cors and form posts included): scripts and the CLI
// are not affected. Bearer requests carry their own credential and are not
// checked.

// crossOrigin returns why r may not change anything, or nil.
func (s *Server) crossOrigin(r *http.Request) *protocol.Error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return nil
	}
	if o := r.Header.Get("Origin"); o != "" {
		if s.allowedOrigin(r, o) {
			return nil
		}
		return protocol.Errorf(protocol.CodeForbidden, "requests from %s may not change anything here; use a bearer token from other sites", o)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return nil
	}
	return protocol.Errorf(protocol.CodeForbidden, "cross-site requests may not change anything here")
}

// allowedOrigin reports whether origin is the request's own (same scheme
// and host) or matches one of Config.OriginPatterns (host patterns as for
// the WebSocket, e.g. "app.example.com" or "*.example.com"; a pattern with
// a scheme, "https://app.example.com", also checks the scheme).
func (s *Server) allowedOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := s.cfg.ClientIP.Proto(r)
	if strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range s.cfg.OriginPatterns {
		host := p
		if ps, rest, ok := strings.Cut(p, "://"); ok {
			if !strings.EqualFold(ps, u.Scheme) {
				continue
			}
			host = rest
		}
		if ok, _ := path.Match(strings.ToLower(host), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}
