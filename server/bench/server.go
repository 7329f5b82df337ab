//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a server started by the harness.
type child struct {
	cmd     *exec.Cmd
	pid     int
	addr    string
	dataDir string
	keep    bool
	exited  chan struct{}
}

// startServer starts bin serve on a free 127.0.0.1 port with a fresh data
// directory and waits until it is ready.
func startServer(ctx context.Context, cfg *Config, logw io.Writer) (*child, error) {
	bin := cfg.ServerBin
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		bin = exe
	}
	dir := cfg.DataDir
	keep := dir != ""
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "livefeed-bench-*"); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// The publisher is one user posting open-loop over the HTTP API: no
	// per-user post limit (a server given with --server needs the same).
	args := []string{"serve", "--addr", addr, "--data", filepath.Join(dir, "data"), "--log-level", "warn", "--post-rate", "0",
		// Every simulated client is on 127.0.0.1, and a scenario may sign in
		// thousands of users and make thousands of feeds.
		"--max-conns-per-ip", "0", "--sign-in-rate", "0", "--feed-rate", "0"}
	if cfg.Sync != "" {
		args = append(args, "--sync", cfg.Sync)
	}
	if cfg.PprofAddr != "" {
		args = append(args, "--pprof", cfg.PprofAddr)
	}
	args = append(args, cfg.ServerArgs...)
	cmd, start, err := PinnedCommand(cfg.ServerCPUs, bin, args...)
	if err != nil {
		return nil, err
	}
	cmd.Stdout = logw
	cmd.Stderr = logw
	cmd.Env = os.Environ()
	if cfg.ServerGOMAXPROCS > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", cfg.ServerGOMAXPROCS))
	}
	// The server dies with the harness.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	startIt := func() error { return start(cmd) }
	if cfg.Nice != 0 {
		startIt = func() error { return withThreadNice(cfg.Nice, func() error { return start(cmd) }) }
	}
	if err := startIt(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", bin, err)
	}
	c := &child{cmd: cmd, pid: cmd.Process.Pid, addr: addr, dataDir: dir, keep: keep, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(c.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ready(ctx, "http://"+addr+"/readyz") {
			break
		}
		select {
		case <-c.exited:
			return nil, errors.New("server exited during start (see its log)")
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, errors.New("server not ready after 30 s")
		}
	}
	// With taskset the process is taskset until it execs the server; by now
	// (the server answers) it is the server itself.
	return c, nil
}

func ready(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop terminates the server gracefully (SIGTERM, then SIGKILL after 20 s)
// and removes its data unless the directory was given.
func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	if !c.keep && strings.Contains(c.dataDir, "livefeed-bench-") {
		os.RemoveAll(c.dataDir)
	}
}
