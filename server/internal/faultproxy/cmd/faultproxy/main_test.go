package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"livefeed/server/internal/faultproxy"
)

// echo serves a line-echo server and returns its address.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func post(t *testing.T, base, path string, want int) settings {
	t.Helper()
	res, err := http.Post(base+path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d", path, res.StatusCode, want)
	}
	var s settings
	if want == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
	return s
}

// roundTrip writes a line and reads it back within d.
func roundTrip(c net.Conn, r *bufio.Reader, d time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	return r.ReadString('\n')
}

func TestControlAPI(t *testing.T) {
	target := echo(t)
	p, err := faultproxy.NewOn("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	api := httptest.NewServer(newController(p, target))
	defer api.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if got, err := roundTrip(c, r, 2*time.Second); err != nil || got != "ping\n" {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}

	if s := post(t, api.URL, "/blackhole?on=true", 200); !s.BlackHole {
		t.Fatalf("blackhole not reported: %+v", s)
	}
	if _, err := roundTrip(c, r, 300*time.Millisecond); err == nil {
		t.Fatal("data crossed a black hole")
	}
	post(t, api.URL, "/blackhole?on=false", 200)
	// The held "ping" arrives now, then the one sent after the timeout.
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "ping\n" {
		t.Fatalf("after healing: %q, %v", got, err)
	}

	if s := post(t, api.URL, "/latency?ms=150", 200); s.LatencyMS != 150 {
		t.Fatalf("latency not reported: %+v", s)
	}
	start := time.Now()
	if _, err := roundTrip(c, r, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("round trip with 150 ms latency each way took %v", d)
	}
	post(t, api.URL, "/latency?ms=0", 200)
	if s := post(t, api.URL, "/bandwidth?bps=1000", 200); s.Bandwidth != 1000 {
		t.Fatalf("bandwidth not reported: %+v", s)
	}
	post(t, api.URL, "/bandwidth?bps=0", 200)

	if s := post(t, api.URL, "/cut", 200); s.Cuts != 1 {
		t.Fatalf("cut not counted: %+v", s)
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection still open after /cut")
	}

	for _, bad := range []string{"/blackhole?on=maybe", "/latency?ms=-1", "/bandwidth?bps=x", "/target?addr=nope"} {
		post(t, api.URL, bad, http.StatusBadRequest)
	}
	if res, err := http.Get(api.URL + "/cut"); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /cut: %v %v", res, err)
	}
}
