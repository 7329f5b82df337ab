package clusterproc

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/natsproc"
	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

var (
	binary     string // the livefeed binary
	natsBinary string // nats-server
)

func TestMain(m *testing.M) {
	bin, err := natsproc.Build(natsproc.CacheDir(), natsproc.Version())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	natsBinary = bin
	os.Exit(testnode.RunWithBinary(m, "../cmd/livefeed", &binary))
}

// testRestartWindow is the goaway window of the nodes here.
const testRestartWindow = 500 * time.Millisecond

// cluster is three nats-server processes and livefeed nodes on them.
type cluster struct {
	t     *testing.T
	nats  *natsproc.Cluster
	key   string // the session key file
	nodes []*testnode.Process
}

// newCluster prepares three NATS servers; start says whether they are
// started now (and waited for until healthy).
func newCluster(t *testing.T, start bool) *cluster {
	t.Helper()
	nc, err := natsproc.New(natsBinary, t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range nc.Servers {
				if b, err := os.ReadFile(filepath.Join(s.Dir, "nats.log")); err == nil {
					t.Logf("%s log (tail):\n%s", s.Name, tail(string(b), 3000))
				}
			}
		}
		nc.KillAll()
	})
	c := &cluster{t: t, nats: nc, key: sessionKeyFile(t)}
	if start {
		if err := nc.StartAll(); err != nil {
			t.Fatal(err)
		}
		if err := nc.WaitHealthy(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// sessionKeyFile writes a new session key for --session-key-file.
func sessionKeyFile(t *testing.T) string {
	k := make([]byte, 32)
	rand.Read(k)
	f := filepath.Join(t.TempDir(), "session.key")
	if err := os.WriteFile(f, []byte(hex.EncodeToString(k)), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// launchNode starts livefeed node number len(c.nodes)+1 on the cluster
// without waiting for it; extra flags follow the common ones.
func (c *cluster) launchNode(extra ...string) *testnode.Process {
	c.t.Helper()
	name := fmt.Sprintf("lf-%d", len(c.nodes)+1)
	args := append([]string{"--nats", c.nats.URLs(), "--session-key-file", c.key, "--node", name,
		"--restart-window", testRestartWindow.String(), "--post-rate", "0"}, extra...)
	p := newProcess(c.t, args)
	p.Launch()
	c.t.Cleanup(func() {
		if c.t.Failed() {
			c.t.Logf("%s output (tail):\n%s", name, tail(p.Output(), 4000))
		}
		p.Signal(syscall.SIGKILL)
	})
	c.nodes = append(c.nodes, p)
	return p
}

// startNode is launchNode, waiting until the node is ready.
func (c *cluster) startNode(extra ...string) *testnode.Process {
	c.t.Helper()
	p := c.launchNode(extra...)
	if err := p.WaitReady(90 * time.Second); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// newProcess prepares (without starting) a livefeed serve process.
func newProcess(t *testing.T, args []string) *testnode.Process {
	return testnode.NewUnstarted(t, binary, testnode.FreeAddr(t), t.TempDir(), args...)
}

// signIn signs in as name on node p.
func signIn(t *testing.T, p *testnode.Process, name string) string {
	t.Helper()
	tok, _ := testnode.SignIn(t, p.URL(), name)
	return tok
}

// post posts text as op through p's HTTP API once; it returns the ack, or
// an error for anything but 200.
func post(p *testnode.Process, token, feed, op, text string) (protocol.Ack, error) {
	body, _ := json.Marshal(map[string]string{"op": op, "text": text})
	req, _ := http.NewRequest("POST", p.URL()+"/api/feeds/"+feed+"/posts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return protocol.Ack{}, err
	}
	defer resp.Body.Close()
	var ack protocol.Ack
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return ack, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(b.String()))
	}
	if err := json.NewDecoder(resp.Body).Decode(&ack); err != nil {
		return ack, err
	}
	return ack, nil
}

// postRetry posts until acknowledged (a retry of a stored op is a
// duplicate, not a second post), up to a minute.
func postRetry(t *testing.T, p *testnode.Process, token, feed, op, text string) protocol.Ack {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var err error
	for time.Now().Before(deadline) {
		var ack protocol.Ack
		if ack, err = post(p, token, feed, op, text); err == nil {
			return ack
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("post %s never acknowledged by %s: %v", op, p.Addr, err)
	return protocol.Ack{}
}

// snapshot returns feed's state on node p.
func snapshot(p *testnode.Process, feed string) (protocol.Snapshot, error) {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(p.URL() + "/api/feeds/" + feed)
	if err != nil {
		return protocol.Snapshot{}, err
	}
	defer resp.Body.Close()
	var s protocol.Snapshot
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s, err
}

// postTexts returns the texts of a snapshot's posts, counted.
func postTexts(s protocol.Snapshot) map[string]int {
	m := map[string]int{}
	for _, p := range s.Posts {
		m[p.Text]++
	}
	return m
}

// httpClient bounds every request of the tests.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// writeConcurrently starts writers posting posts each ("<prefix><w>-<i>")
// through nodes in turn, pausing between posts, calling acked for every
// acknowledged text; the returned function waits until they are done.
func writeConcurrently(t *testing.T, nodes []*testnode.Process, writers, posts int, prefix string, pause time.Duration, acked func(string)) func() {
	var wg sync.WaitGroup
	for w := range writers {
		n := nodes[w%len(nodes)]
		tok := signIn(t, n, fmt.Sprintf("%swriter%d", prefix, w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range posts {
				text := fmt.Sprintf("%s%d-%d", prefix, w, i)
				postRetry(t, n, tok, "main", "op-"+text, text)
				acked(text)
				time.Sleep(pause)
			}
		}()
	}
	return wg.Wait
}
