// Command cluster runs Livefeed as a cluster on one machine, for a person
// to try (`make cluster`): three nats-server processes (built from the
// nats-server module at go.mod's version), three livefeed nodes on them and
// HAProxy in front, all on loopback. It prints the URL to open and runs
// until interrupted (Ctrl-C), then stops everything it started. The steps
// are those of docs/operations.md, "A cluster".
//
//	go run ./server/internal/cmd/cluster -bin bin/livefeed -dir data/cluster -addr 127.0.0.1:8080
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"livefeed/server/internal/childproc"
	"livefeed/server/internal/natsproc"
)

// readyWait bounds the wait for the cluster to come up.
const readyWait = 2 * time.Minute

func main() {
	bin := flag.String("bin", "bin/livefeed", "the livefeed binary")
	dir := flag.String("dir", "data/cluster", "where the servers keep their data, configs and logs (kept between runs)")
	addr := flag.String("addr", "127.0.0.1:8080", "the load balancer's address: the URL to open")
	nodes := flag.Int("nodes", 3, "livefeed nodes")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*bin, *dir, *addr, *nodes); err != nil {
		log.Fatal("cluster: ", err)
	}
}

// proc is a child process in its own process group, logging to a file.
type proc struct {
	name string
	cmd  *exec.Cmd
}

func start(name, logFile string, argv ...string) (*proc, error) {
	out, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childproc.SysProcAttr(true)
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() { cmd.Wait(); out.Close() }()
	return &proc{name: name, cmd: cmd}, nil
}

// stop sends SIGTERM to the process group, SIGKILL after 20 s.
func (p *proc) stop() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(p.cmd.Process.Pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

func run(bin, dir, addr string, nodes int) error {
	// From the start: an interrupt while starting stops what started.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		return errors.New("haproxy not found (Debian: apt-get install -y haproxy; make cluster installs it)")
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: %w (make build)", bin, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	natsBin, err := natsproc.Build(natsproc.CacheDir(), natsproc.Version())
	if err != nil {
		return err
	}
	// A fresh cluster each run: its ports are new, and a NATS store of
	// another run's cluster (other routes) would not rejoin.
	natsDir := filepath.Join(dir, "nats")
	os.RemoveAll(natsDir)
	nc, err := natsproc.New(natsBin, natsDir, 3)
	if err != nil {
		return err
	}
	var procs []*proc
	defer func() {
		fmt.Println("stopping...")
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
		nc.Stop()
		fmt.Println("stopped")
	}()
	if err := nc.StartAll(); err != nil {
		return err
	}
	// The session key every node shares.
	key := filepath.Join(dir, "session.key")
	if _, err := os.Stat(key); err != nil {
		k := make([]byte, 32)
		rand.Read(k)
		if err := os.WriteFile(key, []byte(hex.EncodeToString(k)), 0o600); err != nil {
			return err
		}
	}
	ports, err := natsproc.FreePorts(nodes)
	if err != nil {
		return err
	}
	var servers []string
	for i, port := range ports {
		name := fmt.Sprintf("lf-%d", i+1)
		data := filepath.Join(dir, name)
		os.MkdirAll(data, 0o755)
		p, err := start(name, filepath.Join(dir, name+".log"), bin, "serve",
			"--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data", data, "--node", name,
			"--nats", nc.URLs(), "--session-key-file", key, "--trusted-proxies", "127.0.0.1")
		if err != nil {
			return err
		}
		procs = append(procs, p)
		servers = append(servers, fmt.Sprintf("  server %s 127.0.0.1:%d check", name, port))
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(haproxyConfig(addr, servers)), 0o644); err != nil {
		return err
	}
	lb, err := start("haproxy", filepath.Join(dir, "haproxy.log"), haproxy, "-db", "-f", cfg)
	if err != nil {
		return err
	}
	procs = append(procs, lb)

	url := "http://" + addr
	fmt.Printf("starting 3 NATS servers, %d Livefeed nodes and HAProxy (logs in %s)...\n", nodes, dir)
	deadline := time.Now().Add(readyWait)
	for !ready(url) {
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: see the logs in %s", readyWait, dir)
		}
		select {
		case <-sig:
			return errors.New("interrupted while starting")
		case <-time.After(200 * time.Millisecond):
		}
	}
	fmt.Printf("\nLivefeed cluster ready: open %s\n", url)
	fmt.Printf("  NATS: %s\n  nodes: %s\n  load balancer: haproxy on %s (%s)\n", nc.URLs(), strings.Join(trim(servers), ", "), addr, cfg)
	fmt.Println("Stop it with Ctrl-C: everything started here stops (the logs stay in " + dir + "; the next run starts a new log).")
	<-sig
	return nil
}

// ready reports whether the load balancer answers /readyz with 200.
func ready(url string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func trim(servers []string) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		f := strings.Fields(s)
		out[i] = f[1] + " " + f[2]
	}
	return out
}

// haproxyConfig balances HTTP and WebSockets over the nodes, taking a node
// out while its /readyz answers 503 (starting, or draining at shutdown).
func haproxyConfig(addr string, servers []string) string {
	return `# Written by make cluster (server/internal/cmd/cluster); see docs/operations.md.
global
  maxconn 4096

defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  # WebSockets: idle up to an hour (the protocol's heartbeats keep them busy).
  timeout tunnel 1h

frontend livefeed
  bind ` + addr + `
  default_backend nodes

backend nodes
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 1
` + strings.Join(servers, "\n") + "\n"
}
