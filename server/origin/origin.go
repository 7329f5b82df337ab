// Package origin decides whether a browser request comes from a page the
// server trusts: its own origin (scheme and host) or one the operator
// allowed. The HTTP API applies it to state-changing requests that use the
// session cookie (cross-site request forgery, login CSRF included) and the
// gateway to WebSocket upgrades (cross-site WebSocket hijacking).
//
// A browser attaches the session cookie to a request from any page of the
// same site (SameSite=Lax stops only other sites), and to a top-level form
// POST from another site: a page on another port of the same host, or on a
// sibling subdomain, could otherwise act as the person. A request with no
// Origin header is not from a browser page (browsers send Origin with every
// POST, no-cors and form posts included, and every WebSocket): scripts and
// the CLI are not affected, and still need a valid session.
package origin

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Policy holds the origins allowed besides the request's own.
type Policy struct {
	// Patterns are host patterns ("app.example.com", "*.example.com"), or
	// scheme://host patterns, which also check the scheme.
	Patterns []string
}

// Check returns nil when r may act with the session cookie: its Origin is
// the request's own (scheme is the scheme the client used, see clientip),
// or matches a pattern; or it has no Origin and Sec-Fetch-Site is
// same-origin or none (or absent: not a browser). Else an error saying who
// was refused.
func (p Policy) Check(r *http.Request, scheme string) error {
	if o := r.Header.Get("Origin"); o != "" {
		if p.allowed(r, scheme, o) {
			return nil
		}
		return fmt.Errorf("pages of %s may not act here", o)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return nil
	}
	return fmt.Errorf("cross-site requests may not act here")
}

func (p Policy) allowed(r *http.Request, scheme, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" (sandboxed frames, file: pages) included
	}
	if strings.EqualFold(u.Scheme, scheme) && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, pat := range p.Patterns {
		host := pat
		if ps, rest, ok := strings.Cut(pat, "://"); ok {
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
