package resilience

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

var binary string

func TestMain(m *testing.M) { os.Exit(testnode.RunWithBinary(m, "../cmd/livefeed", &binary)) }

// server is a "livefeed serve" child process that can be restarted on the
// same address and data directory.
type server struct {
	t    testing.TB
	addr string
	data string
	args []string
	// wrap runs the binary under a command (e.g. prlimit) when set.
	wrap []string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newServer(t testing.TB, args ...string) *server { return newServerUnder(t, nil, args...) }

// newServerUnder starts the server as an argument of the command wrap.
func newServerUnder(t testing.TB, wrap []string, args ...string) *server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, addr: l.Addr().String(), data: t.TempDir(), args: args, wrap: wrap, out: &syncBuffer{}}
	l.Close()
	s.start()
	t.Cleanup(func() { s.signal(syscall.SIGKILL) })
	return s
}

func (s *server) url() string   { return "http://" + s.addr }
func (s *server) wsURL() string { return "ws://" + s.addr + "/ws" }

func (s *server) start() {
	s.t.Helper()
	argv := append([]string{binary, "serve", "--addr", s.addr, "--data", s.data, "--log-level", "warn"}, s.args...)
	argv = append(slices.Clone(s.wrap), argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.url() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("server not ready:\n%s", s.out)
}

// signal sends sig and waits for the process to exit.
func (s *server) signal(sig syscall.Signal) {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	cmd.Wait()
}

// postHTTP posts through the HTTP API with an op id, retrying until the
// server acknowledges (a retry of an op that was stored is a duplicate, not
// a second post).
func postHTTP(t testing.TB, s *server, token, feed, op, text string) protocol.Ack {
	body, _ := json.Marshal(map[string]string{"op": op, "text": text})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("POST", s.url()+"/api/feeds/"+feed+"/posts", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var ack protocol.Ack
			err = json.NewDecoder(resp.Body).Decode(&ack)
			resp.Body.Close()
			if resp.StatusCode == 200 && err == nil {
				return ack
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("post %s never acknowledged", op)
	return protocol.Ack{}
}

func signIn(t testing.TB, s *server, name string) string {
	t.Helper()
	resp, err := http.Post(s.url()+"/api/session", "application/json", strings.NewReader(fmt.Sprintf(`{"name":%q}`, name)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Token == "" {
		t.Fatalf("sign in: HTTP %d", resp.StatusCode)
	}
	return out.Token
}
