package clientip

import (
	"crypto/tls"
	"net/http"
	"testing"
)

func TestOf(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff, want string
	}{
		{"direct client", "203.0.113.7:5000", "", "203.0.113.7"},
		{"direct client forging the header", "203.0.113.7:5000", "1.2.3.4", "203.0.113.7"},
		{"one trusted proxy", "10.1.2.3:80", "198.51.100.9", "198.51.100.9"},
		{"a forged hop before the real one", "10.1.2.3:80", "1.2.3.4, 198.51.100.9", "198.51.100.9"},
		{"two trusted proxies", "127.0.0.1:80", "198.51.100.9, 10.9.9.9", "198.51.100.9"},
		{"proxy without the header", "10.1.2.3:80", "", "10.1.2.3"},
		{"malformed hop", "10.1.2.3:80", "garbage, 198.51.100.9", "198.51.100.9"},
		{"only malformed", "10.1.2.3:80", "garbage", "10.1.2.3"},
		{"IPv6 client", "[2001:db8::1]:443", "", "2001:db8::1"},
		{"IPv4-mapped", "[::ffff:10.1.2.3]:80", "198.51.100.9", "198.51.100.9"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		if c.xff != "" {
			req.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := r.Of(req); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if _, err := New([]string{"not-an-address"}); err == nil {
		t.Error("a bad proxy address was accepted")
	}
}

func TestProto(t *testing.T) {
	r, _ := New([]string{"10.0.0.1"})
	req := func(remote, proto string, tlsOn bool) *http.Request {
		q, _ := http.NewRequest("GET", "/", nil)
		q.RemoteAddr = remote
		if proto != "" {
			q.Header.Set("X-Forwarded-Proto", proto)
		}
		if tlsOn {
			q.TLS = &tls.ConnectionState{}
		}
		return q
	}
	for _, c := range []struct {
		q    *http.Request
		want string
	}{
		{req("10.0.0.1:1", "https", false), "https"},
		{req("10.0.0.2:1", "https", false), "http"}, // not a trusted proxy
		{req("10.0.0.1:1", "", false), "http"},
		{req("10.0.0.1:1", "gopher", false), "http"},
		{req("203.0.113.1:1", "", true), "https"},
	} {
		if got := r.Proto(c.q); got != c.want {
			t.Errorf("%s X-Forwarded-Proto %q: %s, want %s", c.q.RemoteAddr, c.q.Header.Get("X-Forwarded-Proto"), got, c.want)
		}
	}
}
