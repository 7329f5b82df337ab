package clusterproc

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/natsproc"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
)

// TestNodesStartedTogether starts three NATS servers and three nodes at the
// same moment, as an orchestrator does after a reboot: the nodes find a
// cluster with no JetStream leader and race to create the stream. Each
// must listen at once (/readyz 503 while it waits), become ready, and serve
// the same log.
func TestNodesStartedTogether(t *testing.T) {
	c := newCluster(t, false)
	start := time.Now()
	if err := c.nats.StartAll(); err != nil {
		t.Fatal(err)
	}
	nodes := []*testnode.Process{c.launchNode(), c.launchNode(), c.launchNode()}
	var wg sync.WaitGroup
	ready := make([]time.Duration, len(nodes))
	saw503 := make([]bool, len(nodes))
	for i, p := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(90 * time.Second)
			for time.Now().Before(deadline) {
				switch readyzStatus(p) {
				case 200:
					ready[i] = time.Since(start)
					return
				case 503:
					saw503[i] = true
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	for i, d := range ready {
		if d == 0 {
			t.Fatalf("node %d never became ready", i+1)
		}
		if !saw503[i] {
			// Ready before the cluster could even elect a leader would
			// mean it did not start together with it.
			t.Errorf("node %d never answered /readyz 503 while waiting for the log", i+1)
		}
	}
	t.Logf("3 NATS servers and 3 nodes started together: nodes ready after %v, %v, %v (machine shared, figures noisy)",
		ready[0].Round(time.Millisecond), ready[1].Round(time.Millisecond), ready[2].Round(time.Millisecond))
	// One log: a post on each node is on every node.
	for i, p := range nodes {
		tok := signIn(t, p, fmt.Sprintf("starter%d", i))
		postRetry(t, p, tok, "main", fmt.Sprintf("op-start-%d", i), fmt.Sprintf("hello from node %d", i+1))
	}
	for i, p := range nodes {
		wait.For(t, 30*time.Second, 20*time.Millisecond, func() error {
			s, err := snapshot(p, "main")
			if err != nil {
				return err
			}
			if len(s.Posts) != len(nodes) {
				return fmt.Errorf("node %d has %d posts, want %d", i+1, len(s.Posts), len(nodes))
			}
			return nil
		})
	}
}

// readyzStatus is the status of p's /readyz, 0 when it does not answer.
func readyzStatus(p *testnode.Process) int {
	resp, err := httpClient.Get(p.URL() + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestStartTimeout: with no NATS server to reach a node waits (listening,
// /readyz 503) for as long as it takes; --start-timeout makes it give up
// and exit non-zero after that long, saying why.
func TestStartTimeout(t *testing.T) {
	ports, err := natsproc.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	nowhere := fmt.Sprintf("nats://127.0.0.1:%d", ports[0])
	key := sessionKeyFile(t)

	waiting := newProcess(t, []string{"--nats", nowhere, "--session-key-file", key})
	waiting.Launch()
	t.Cleanup(func() { waiting.Signal(syscall.SIGKILL) })

	const timeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, binary, "serve", "--addr", testnode.FreeAddr(t), "--data", t.TempDir(),
		"--nats", nowhere, "--session-key-file", key, "--start-timeout", timeout.String()).CombinedOutput()
	took := time.Since(start)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("with --start-timeout %v: exit %v after %v, want a failure\n%s", timeout, err, took, out)
	}
	if !strings.Contains(string(out), "--start-timeout 1s") || took < timeout {
		t.Fatalf("exited after %v (want at least %v) saying:\n%s", took, timeout, out)
	}
	// Meanwhile the node without it still waits, answering 503.
	if got := readyzStatus(waiting); got != 503 {
		t.Fatalf("the node without --start-timeout answers /readyz %d, want 503 while it waits\n%s", got, waiting.Output())
	}
	t.Logf("--start-timeout %v: exited after %v", timeout, took.Round(time.Millisecond))
}
