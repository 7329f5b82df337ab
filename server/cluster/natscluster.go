// Package cluster runs Livefeed as a cluster for tests and local trials: a
// NATS JetStream cluster started inside the process (StartNATS), on which
// several Livefeed nodes (server/node) share one replicated event log.
//
// Production clusters run nats-server as separate processes (see
// docs/operations.md); this package exists so that the cluster behaviour
// (failover, replication, cross-node presence) is tested by plain
// `go test` with no outside services.
package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"livefeed/server/eventlog"
)

// NATSConfig configures StartNATS.
type NATSConfig struct {
	// Servers is the number of servers (default 3).
	Servers int
	// Dir holds each server's store in Dir/<server name>.
	Dir string
	// Name is the cluster name (default "livefeed").
	Name string
	// SyncAlways makes every server fsync each message before
	// acknowledging it (sync_interval: always).
	SyncAlways bool
	// ReadyTimeout bounds the wait for the JetStream meta leader (default
	// 30 s).
	ReadyTimeout time.Duration
	// Logger receives the servers' logs (notices at debug level); nil
	// discards them.
	Logger *slog.Logger
	// NoWait returns as soon as every server accepts connections, while
	// the cluster may still be electing its JetStream meta leader (what
	// nodes started together with their NATS servers see).
	NoWait bool
}

// NATS is an in-process NATS JetStream cluster listening on 127.0.0.1.
type NATS struct {
	cfg     NATSConfig
	opts    []*server.Options
	servers []*server.Server
}

// StartNATS starts a JetStream cluster of cfg.Servers servers, each with
// client and route listeners on free 127.0.0.1 ports and explicit routes to
// every other server, and waits until JetStream has a meta leader and every
// server is current.
func StartNATS(cfg NATSConfig) (*NATS, error) {
	if cfg.Servers <= 0 {
		cfg.Servers = 3
	}
	if cfg.Name == "" {
		cfg.Name = "livefeed"
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 30 * time.Second
	}
	if cfg.Dir == "" {
		return nil, errors.New("cluster: NATSConfig.Dir is empty")
	}
	// Route ports are fixed before the servers start so that every server
	// gets the full route list (what a JetStream cluster needs to agree
	// on its size); client ports are fixed so a server restarts on the
	// same URL.
	ports, err := freePorts(2 * cfg.Servers)
	if err != nil {
		return nil, err
	}
	routes := make([]*url.URL, cfg.Servers)
	for i := range routes {
		routes[i] = &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", ports[cfg.Servers+i])}
	}
	c := &NATS{cfg: cfg}
	for i := 0; i < cfg.Servers; i++ {
		name := fmt.Sprintf("nats-%d", i+1)
		c.opts = append(c.opts, &server.Options{
			ServerName: name,
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   filepath.Join(cfg.Dir, name),
			SyncAlways: cfg.SyncAlways,
			Cluster: server.ClusterOpts{
				Name: cfg.Name,
				Host: "127.0.0.1",
				Port: ports[cfg.Servers+i],
			},
			Routes: routes,
			NoLog:  cfg.Logger == nil,
			NoSigs: true,
		})
	}
	c.servers = make([]*server.Server, cfg.Servers)
	for i := range c.servers {
		if err := c.Start(i); err != nil {
			c.Shutdown()
			return nil, err
		}
	}
	if cfg.NoWait {
		return c, nil
	}
	if err := c.WaitReady(cfg.ReadyTimeout); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cluster: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Start (re)starts server i (0-based) with its original ports and store.
func (c *NATS) Start(i int) error {
	if s := c.servers[i]; s != nil && s.Running() {
		return nil
	}
	o := *c.opts[i]
	s, err := server.NewServer(&o)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", o.ServerName, err)
	}
	if c.cfg.Logger != nil {
		s.SetLoggerV2(eventlog.ServerLogger(c.cfg.Logger.With("nats", o.ServerName)), false, false, false)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("cluster: %s: not ready for connections", o.ServerName)
	}
	c.servers[i] = s
	return nil
}

// Stop shuts server i down (nats-server's own shutdown: it hands its raft
// leaderships over first) and waits until it has stopped.
func (c *NATS) Stop(i int) {
	if s := c.servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Shutdown stops every server.
func (c *NATS) Shutdown() {
	for i := range c.servers {
		c.Stop(i)
	}
}

// Len returns the number of servers.
func (c *NATS) Len() int { return len(c.servers) }

// Server returns server i.
func (c *NATS) Server(i int) *server.Server { return c.servers[i] }

// URL returns the client URL of server i.
func (c *NATS) URL(i int) string {
	return fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port)
}

// URLs returns every server's client URL.
func (c *NATS) URLs() []string {
	us := make([]string, len(c.servers))
	for i := range us {
		us[i] = c.URL(i)
	}
	return us
}

// Running returns the indexes of the running servers.
func (c *NATS) Running() []int {
	var r []int
	for i, s := range c.servers {
		if s != nil && s.Running() {
			r = append(r, i)
		}
	}
	return r
}

// MetaLeader returns the index of the JetStream meta leader, or -1.
func (c *NATS) MetaLeader() int {
	for _, i := range c.Running() {
		if c.servers[i].JetStreamIsLeader() {
			return i
		}
	}
	return -1
}

// StreamLeader returns the index of the leader of stream (global account),
// or -1.
func (c *NATS) StreamLeader(stream string) int {
	for _, i := range c.Running() {
		if c.servers[i].JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// WaitReady waits until the running servers have a meta leader that knows
// every configured server as a peer and every running server is current.
func (c *NATS) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if c.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: JetStream not ready after %s (running %v, meta leader %d)", timeout, c.Running(), c.MetaLeader())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (c *NATS) ready() bool {
	l := c.MetaLeader()
	if l < 0 || len(c.servers[l].JetStreamClusterPeers()) != len(c.servers) {
		return false
	}
	for _, i := range c.Running() {
		if !c.servers[i].JetStreamIsCurrent() {
			return false
		}
	}
	return true
}

// String describes the cluster.
func (c *NATS) String() string {
	return fmt.Sprintf("NATS cluster %s [%s]", c.cfg.Name, strings.Join(c.URLs(), ","))
}
