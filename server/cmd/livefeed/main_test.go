package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

var binary string

func TestMain(m *testing.M) { os.Exit(testnode.RunWithBinary(m, ".", &binary)) }

func freeAddr(t *testing.T) string { return testnode.FreeAddr(t) }

// startServer runs "livefeed serve" (with extra flags) and waits until
// it is ready.
func startServer(t *testing.T, addr, data string, extra ...string) *testnode.Process {
	t.Helper()
	return testnode.StartProcess(t, binary, addr, data, nil, extra...)
}

// cli runs the binary with args, its guest sessions kept in a directory of
// the test (not the user's config directory).
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return cliIn(t, t.TempDir(), args...)
}

// cliIn runs the binary with args, its guest sessions kept in dir.
func cliIn(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "LIVEFEED_CONFIG_DIR="+dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return string(out), nil
}

// TestDurabilityAcrossKill9 posts with acknowledgements, kills the server
// with SIGKILL, restarts it on the same data directory, and finds every
// acknowledged post.
func TestDurabilityAcrossKill9(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	p := startServer(t, addr, data)
	server := "http://" + addr
	var acked []protocol.Event
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				out, err := cli(t, "post", "--server", server, "--feed", "main", "--name", fmt.Sprintf("w%d", w), fmt.Sprintf("durable %d-%d", w, i))
				if err != nil {
					t.Errorf("post: %v", err)
					return
				}
				var e protocol.Event
				if err := json.Unmarshal([]byte(out), &e); err != nil || e.Pos == 0 || e.ID == "" {
					t.Errorf("post printed %q: %v", out, err)
					return
				}
				mu.Lock()
				acked = append(acked, e)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	p.Signal(syscall.SIGKILL)

	startServer(t, addr, data)
	resp, err := http.Get(server + "/api/feeds/main")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var snap protocol.Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, p := range snap.Posts {
		have[p.ID] = p.Text
	}
	for _, e := range acked {
		if have[e.ID] != e.Text {
			t.Errorf("acknowledged post %s %q missing after kill -9 (have %q)", e.ID, e.Text, have[e.ID])
		}
	}
	if len(snap.Posts) != len(acked) {
		t.Errorf("%d posts after restart, %d acknowledged", len(snap.Posts), len(acked))
	}
}

// metric returns the value of an unlabelled metric the server at base
// shows on /metrics ("" when it shows none).
func metric(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return v
		}
	}
	return ""
}

// TestTwoTailsOnePost runs two "tail" processes and one "post" process
// against the real binary.
func TestTwoTailsOnePost(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir())
	server := "http://" + addr
	if _, err := cli(t, "post", "--server", server, "--feed", "team", "--name", "Early", "before the tails"); err != nil {
		t.Fatal(err)
	}
	type tailProc struct {
		lines chan protocol.Event
		cmd   *exec.Cmd
	}
	startTail := func(args ...string) *tailProc {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		t.Cleanup(cancel)
		cmd := exec.CommandContext(ctx, binary, append([]string{"tail", "--server", server, "--feed", "team"}, args...)...)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tp := &tailProc{lines: make(chan protocol.Event, 16), cmd: cmd}
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				var e protocol.Event
				if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
					t.Errorf("tail printed a non-JSON line %q", sc.Text())
					continue
				}
				tp.lines <- e
			}
		}()
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() })
		return tp
	}
	live := startTail("--name", "Tail1")
	history := startTail("--name", "Tail2", "--since", "0")
	// The --since 0 tail replays the earlier post first.
	if e := <-history.lines; e.Text != "before the tails" || e.Pos == 0 || e.ID == "" {
		t.Fatalf("replayed %+v", e)
	}
	// The live tail prints nothing until a post: wait until the server
	// has both tails subscribed.
	wait.For(t, 10*time.Second, wait.Poll, func() error {
		if n := metric(t, server, "livefeed_subscriptions"); n != "2" {
			return fmt.Errorf("livefeed_subscriptions is %q, want 2", n)
		}
		return nil
	})
	out, err := cli(t, "post", "--server", server, "--feed", "team", "--name", "Poster", "hello, tails")
	if err != nil {
		t.Fatal(err)
	}
	var posted protocol.Event
	json.Unmarshal([]byte(out), &posted)
	for name, tp := range map[string]*tailProc{"live": live, "history": history} {
		select {
		case e := <-tp.lines:
			if e.Text != "hello, tails" || e.Pos != posted.Pos || e.ID != posted.ID || e.Kind != protocol.KindPost {
				t.Errorf("%s tail printed %+v, want the post %+v", name, e, posted)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s tail printed nothing", name)
		}
	}
	// --since POS gives exactly the events after POS.
	out, err = cli(t, "post", "--server", server, "--feed", "team", "--name", "Poster", "third")
	if err != nil {
		t.Fatal(err)
	}
	after := startTail("--since", fmt.Sprint(posted.Pos))
	if e := <-after.lines; e.Text != "third" {
		t.Fatalf("--since %d printed %+v first", posted.Pos, e)
	}
}

func TestPostErrors(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir())
	server := "http://" + addr
	_, err := cli(t, "post", "--server", server, "--feed", "main", "--name", "Ada", "   ")
	if err == nil || !strings.Contains(err.Error(), protocol.CodeInvalidText) {
		t.Errorf("empty text: %v", err)
	}
	_, err = cli(t, "post", "--server", server, "--feed", "Bad Feed", "--name", "Ada", "x")
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("bad feed: %v", err)
	}
	_, err = cli(t, "post", "--server", server, "--feed", "main", "--name", strings.Repeat("n", protocol.MaxNameChars+1), "x")
	if err == nil || !strings.Contains(err.Error(), protocol.CodeInvalidName) {
		t.Errorf("long name: %v", err)
	}
}
