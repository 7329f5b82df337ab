package clientip

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// FuzzOf: whatever X-Forwarded-For a client sends, the address found is
// a valid address: the peer itself when the peer is not a trusted proxy,
// else the peer or one of the hops.
func FuzzOf(f *testing.F) {
	r, _ := New([]string{"10.0.0.0/8"})
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 10.0.0.2", "garbage", ",,,", "::1, [::1]", "1.2.3.4 , 5.6.7.8"} {
		f.Add("10.0.0.1:80", s)
		f.Add("203.0.113.5:80", s)
	}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
		got := r.Of(req)
		peer := Peer(remote)
		if !peer.IsValid() {
			if got != remote {
				t.Fatalf("invalid peer %q: got %q", remote, got)
			}
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil {
			t.Fatalf("Of = %q, not an address", got)
		}
		if !r.Trusted(peer) {
			if a != peer {
				t.Fatalf("untrusted peer %s: client %s from the header", peer, a)
			}
			return
		}
		if a == peer {
			return
		}
		for _, hop := range strings.Split(xff, ",") {
			if h, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && h.Unmap() == a {
				return
			}
		}
		t.Fatalf("client %s is neither the peer nor a hop of %q", a, xff)
	})
}
