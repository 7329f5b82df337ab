// Package natsproc runs a NATS JetStream cluster of real nats-server
// processes on loopback, as an operator deploys one: the binary built from
// the nats-server module at the version in go.mod, one config file per
// server, explicit routes. Tests use it (server/clusterproc) and so does
// `make cluster` (its cmd).
package natsproc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"livefeed/server/internal/childproc"
)

// Module is the nats-server module path.
const Module = "github.com/nats-io/nats-server/v2"

// Version returns the nats-server version go.mod requires: the one this
// program was built with when it links nats-server, else what `go list`
// says in the current module; "" when neither can tell.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == Module {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", Module).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Build builds nats-server at version (from the module cache or the Go
// module proxy) into dir, once: a binary already there is reused. It
// returns the binary's path. The build runs in the current module, so
// version must be the one its go.mod requires.
func Build(dir, version string) (string, error) {
	if version == "" {
		return "", errors.New("natsproc: unknown nats-server version")
	}
	bin := filepath.Join(dir, "nats-server-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", bin, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, Module)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("natsproc: go build %s: %v\n%s", Module, err, out)
	}
	// Renamed into place, so a concurrent build never hands out half a file.
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// CacheDir is where Build's binaries are kept between runs: the user's
// cache directory (or the temporary directory without one).
func CacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "livefeed")
}

// Server is one nats-server of a Cluster.
type Server struct {
	Name                      string
	Port, RoutePort, HTTPPort int
	Dir                       string // holds its config, its store and its log

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.Port) }

// Running reports whether the process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// Cluster is a cluster of nats-server processes on 127.0.0.1.
type Cluster struct {
	Bin     string
	Servers []*Server
}

// New prepares (without starting) n servers named nats-1... with free
// loopback ports and their stores under dir.
func New(bin, dir string, n int) (*Cluster, error) {
	ports, err := FreePorts(3 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Bin: bin}
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i]))
	}
	for i := range n {
		s := &Server{
			Name: fmt.Sprintf("nats-%d", i+1), Port: ports[i], RoutePort: ports[n+i], HTTPPort: ports[2*n+i],
		}
		s.Dir = filepath.Join(dir, s.Name)
		if err := os.MkdirAll(s.Dir, 0o755); err != nil {
			return nil, err
		}
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream { store_dir: %q }
cluster {
  name: livefeed
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, s.Name, s.Port, s.HTTPPort, filepath.Join(s.Dir, "store"), s.RoutePort, strings.Join(routes, ", "))
		if err := os.WriteFile(filepath.Join(s.Dir, "nats.conf"), []byte(conf), 0o644); err != nil {
			return nil, err
		}
		c.Servers = append(c.Servers, s)
	}
	return c, nil
}

// URLs returns every server's client URL, comma-separated (--nats).
func (c *Cluster) URLs() string {
	var us []string
	for _, s := range c.Servers {
		us = append(us, s.URL())
	}
	return strings.Join(us, ",")
}

// StartAll starts every server at once, without waiting.
func (c *Cluster) StartAll() error {
	for i := range c.Servers {
		if err := c.Start(i); err != nil {
			return err
		}
	}
	return nil
}

// Start starts server i (again, on the same ports and store) without
// waiting for it; its output is appended to nats.log in its directory.
func (c *Cluster) Start(i int) error {
	s := c.Servers[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	log, err := os.OpenFile(filepath.Join(s.Dir, "nats.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.Bin, "-c", filepath.Join(s.Dir, "nats.conf"))
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so that Kill reaches anything it starts;
	// killed with its starter (a timed-out test runs no cleanup).
	cmd.SysProcAttr = childproc.SysProcAttr(true)
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		log.Close()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	return nil
}

// Signal sends sig to server i's process group and waits (up to a
// minute) until it has exited.
func (c *Cluster) Signal(i int, sig syscall.Signal) {
	s := c.Servers[i]
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
	case <-time.After(time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Kill SIGKILLs server i.
func (c *Cluster) Kill(i int) { c.Signal(i, syscall.SIGKILL) }

// Stop stops every server: SIGTERM, SIGKILL after a minute.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for i := range c.Servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Signal(i, syscall.SIGTERM)
		}()
	}
	wg.Wait()
}

// KillAll SIGKILLs every server.
func (c *Cluster) KillAll() {
	for i := range c.Servers {
		c.Kill(i)
	}
}

// Healthy reports whether server i's /healthz (JetStream included) answers
// 200: it has JetStream, a meta leader, and is current.
func (c *Cluster) Healthy(i int) bool {
	return childproc.Healthy(fmt.Sprintf("http://127.0.0.1:%d/healthz", c.Servers[i].HTTPPort))
}

// WaitHealthy waits until every running server is healthy, up to timeout.
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok := true
		for i, s := range c.Servers {
			if s.Running() && !c.Healthy(i) {
				ok = false
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("natsproc: cluster not healthy after %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreePorts returns n distinct loopback ports nothing listens on now.
func FreePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// streamInfo is what /jsz says of a stream.
type streamInfo struct {
	Name    string `json:"name"`
	Cluster struct {
		Leader string `json:"leader"`
	} `json:"cluster"`
	State struct {
		First uint64 `json:"first_seq"`
		Last  uint64 `json:"last_seq"`
	} `json:"state"`
}

// stream returns what the first running server that knows stream (of the
// default account) and matches ok says of it.
func (c *Cluster) stream(name string, ok func(streamInfo) bool) (streamInfo, bool) {
	for _, s := range c.Servers {
		if !s.Running() {
			continue
		}
		var jsz struct {
			Accounts []struct {
				Streams []streamInfo `json:"stream_detail"`
			} `json:"account_details"`
		}
		if s.monitor("/jsz?streams=true", &jsz) != nil {
			continue
		}
		for _, a := range jsz.Accounts {
			for _, st := range a.Streams {
				if st.Name == name && ok(st) {
					return st, true
				}
			}
		}
	}
	return streamInfo{}, false
}

// StreamLeader returns the index of the server leading stream, as the
// running servers' /jsz says, or -1.
func (c *Cluster) StreamLeader(stream string) int {
	st, ok := c.stream(stream, func(st streamInfo) bool { return st.Cluster.Leader != "" })
	if !ok {
		return -1
	}
	return c.index(st.Cluster.Leader)
}

// ConnectedTo returns the index of the server holding the client
// connection named name (nats.Name), or -1.
func (c *Cluster) ConnectedTo(name string) int {
	for i, s := range c.Servers {
		if !s.Running() {
			continue
		}
		var connz struct {
			Conns []struct {
				Name string `json:"name"`
			} `json:"connections"`
		}
		if s.monitor("/connz?limit=1024", &connz) != nil {
			continue
		}
		for _, cn := range connz.Conns {
			if cn.Name == name {
				return i
			}
		}
	}
	return -1
}

func (c *Cluster) index(name string) int {
	for i, s := range c.Servers {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// monitor decodes the JSON of the server's monitoring endpoint path.
func (s *Server) monitor(path string, v any) error {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", s.HTTPPort, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// StreamBounds returns the first and last sequence of stream as the first
// running server that knows it says (0, 0 when none does).
func (c *Cluster) StreamBounds(stream string) (first, last uint64) {
	st, _ := c.stream(stream, func(streamInfo) bool { return true })
	return st.State.First, st.State.Last
}
