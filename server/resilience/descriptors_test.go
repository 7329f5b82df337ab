package resilience

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"livefeed/server/httpapi"
)

// The descriptor flood: sockets that send a request's headers and then
// trickle its body, and sockets that connect and say nothing. With the
// default limit of 1,024 descriptors, 1,300 of them used to take every
// descriptor the server had: the group commit's open failed, which was
// sticky ("restart the server"), and /readyz still said 200.
//
// The server runs under prlimit --nofile=1024 with its default caps. The
// attack comes from 127.0.0.2 (another client address on loopback); a
// legitimate client on 127.0.0.1 keeps posting through it, and everything
// acknowledged is stored.
const (
	floodFiles   = 1024
	floodSockets = 1300
)

func TestDescriptorFlood(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Fatal("prlimit (util-linux) is needed to run the server under a low descriptor limit")
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		// The per-address cap (512) stops one address long before the
		// total cap.
		{"one attacking address", nil},
		// Without it, the total cap (RLIMIT_NOFILE less its reserve)
		// keeps descriptors for the log.
		{"no per-address cap", []string{"--max-conns-per-ip", "0"}},
	} {
		t.Run(c.name, func(t *testing.T) { descriptorFlood(t, c.args) })
	}
}

func descriptorFlood(t *testing.T, args []string) {
	srv := newServerUnder(t, []string{"prlimit", fmt.Sprintf("--nofile=%d:%d", floodFiles, floodFiles)}, args...)
	token := signIn(t, srv, "victim")
	// The legitimate client's connection is open before the flood (with no
	// per-address cap, new connections are refused while the flood holds
	// the total cap; this one must keep working).
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
	var acked []string
	postOne := func(i int) error {
		op := fmt.Sprintf("flood-%d", i)
		body := fmt.Sprintf(`{"op":%q,"text":"post %d"}`, op, i)
		req, _ := http.NewRequest("POST", srv.URL()+"/api/feeds/main/posts", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body) // to the end: the connection is reused
		if resp.StatusCode != 200 {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
		}
		acked = append(acked, fmt.Sprintf("post %d", i))
		return nil
	}
	if err := postOne(0); err != nil {
		t.Fatal(err)
	}

	attacker := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	var mu sync.Mutex
	var socks []net.Conn
	defer func() {
		for _, c := range socks {
			c.Close()
		}
	}()
	refusedOrReset := 0
	for i := range floodSockets {
		c, err := attacker.Dial("tcp", srv.Addr)
		if err != nil {
			refusedOrReset++
			continue
		}
		mu.Lock()
		socks = append(socks, c)
		mu.Unlock()
		if i%2 == 0 {
			// Headers, then a body that never comes.
			fmt.Fprintf(c, "POST /api/feeds/main/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", token)
		}
	}
	// The legitimate client posts through the flood; the node stays ready.
	for i := 1; i <= 20; i++ {
		if err := postOne(i); err != nil {
			t.Fatalf("post %d during the flood (%d attacking sockets open): %v\n%s", i, len(socks), err, srv.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := readyz(t, client, srv); code != 200 {
		t.Fatalf("/readyz during the flood: %d", code)
	}
	served := 0
	for _, c := range socks {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil && !isReset(err) {
			served++ // still held open by the server
		}
	}
	t.Logf("%d attacking sockets dialled, %d held open by the server, %d failed to dial", floodSockets, served, refusedOrReset)
	if served >= floodFiles {
		t.Fatalf("the server held %d attacking sockets open with %d descriptors", served, floodFiles)
	}

	// A trickled body is cut off at RequestReadTimeout: the server answers
	// 400 and closes. (From a third address, under the per-address cap;
	// without it, after the flood has gone.)
	trickle := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}, Timeout: 2 * time.Second}
	if len(args) > 0 {
		for _, c := range socks {
			c.Close()
		}
		socks = nil
		time.Sleep(100 * time.Millisecond)
	}
	if c, err := trickle.Dial("tcp", srv.Addr); err != nil {
		t.Fatalf("dial for the trickled body: %v", err)
	} else {
		defer c.Close()
		start := time.Now()
		fmt.Fprintf(c, "POST /api/feeds/main/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100\r\n\r\n{", token)
		c.SetReadDeadline(time.Now().Add(httpapi.RequestReadTimeout + 5*time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		took := time.Since(start)
		if err == nil {
			resp.Body.Close()
		}
		if err != nil && !isReset(err) && !strings.Contains(err.Error(), "EOF") {
			t.Fatalf("trickled body: %v after %s (want it cut off at %s)", err, took, httpapi.RequestReadTimeout)
		}
		if took < httpapi.RequestReadTimeout-time.Second || took > httpapi.RequestReadTimeout+4*time.Second {
			t.Fatalf("trickled body cut off after %s, want about %s", took, httpapi.RequestReadTimeout)
		}
		t.Logf("trickled body cut off after %s (%v)", took.Round(100*time.Millisecond), statusOrErr(resp, err))
	}

	// After the flood: ready, posting, and everything acknowledged stored.
	for _, c := range socks {
		c.Close()
	}
	socks = nil
	for i := 21; i <= 25; i++ {
		if err := postOne(i); err != nil {
			t.Fatalf("post %d after the flood: %v", i, err)
		}
	}
	if code := readyz(t, client, srv); code != 200 {
		t.Fatalf("/readyz after the flood: %d", code)
	}
	resp, err := client.Get(srv.URL() + "/api/feeds/main")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap struct{ Posts []struct{ Text string } }
	json.NewDecoder(resp.Body).Decode(&snap)
	have := map[string]bool{}
	for _, p := range snap.Posts {
		have[p.Text] = true
	}
	for _, text := range acked {
		if !have[text] {
			t.Errorf("acknowledged %q missing from the feed", text)
		}
	}
	if len(snap.Posts) != len(acked) {
		t.Errorf("%d posts stored, %d acknowledged", len(snap.Posts), len(acked))
	}
}

func readyz(t *testing.T, c *http.Client, srv *server) int {
	resp, err := c.Get(srv.URL() + "/readyz")
	if err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func isReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "reset") || strings.Contains(s, "EOF") || strings.Contains(s, "broken pipe")
}

func statusOrErr(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}
