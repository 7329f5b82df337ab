// Package clientip tells who a request comes from, for the limits that are
// kept per client address. Behind a reverse proxy every connection comes
// from the proxy: its X-Forwarded-For header is believed only when the
// connection comes from a proxy the operator named (--trusted-proxies), and
// then only up to the first address that is not such a proxy, so a client
// cannot choose its address by sending the header itself.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of requests.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver that trusts the proxies in trusted (addresses or
// CIDR prefixes, e.g. "10.0.0.0/8", "127.0.0.1").
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("clientip: %q is neither an address nor a CIDR prefix", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// Trusted reports whether addr is one of the trusted proxies.
func (r *Resolver) Trusted(addr netip.Addr) bool {
	if r == nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range r.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Of returns the client address of req: its peer, or, when the peer is a
// trusted proxy, the last address of X-Forwarded-For that is not one.
func (r *Resolver) Of(req *http.Request) string {
	peer := Peer(req.RemoteAddr)
	if !peer.IsValid() {
		return req.RemoteAddr
	}
	if !r.Trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: stop at the last good one
		}
		client = a.Unmap()
		if !r.Trusted(client) {
			break
		}
	}
	return client.String()
}

// Proto returns the scheme the client used: "https" when the connection is
// TLS, or when a trusted proxy says so in X-Forwarded-Proto.
func (r *Resolver) Proto(req *http.Request) string {
	if req.TLS != nil {
		return "https"
	}
	if p := Peer(req.RemoteAddr); p.IsValid() && r.Trusted(p) {
		if v := strings.ToLower(strings.TrimSpace(req.Header.Get("X-Forwarded-Proto"))); v == "https" || v == "http" {
			return v
		}
	}
	return "http"
}

// Peer parses a "host:port" remote address (invalid if it is not one).
func Peer(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
