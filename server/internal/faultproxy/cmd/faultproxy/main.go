// Command faultproxy runs the fault-injection TCP proxy of package faultproxy
// as a process, for tests that cannot use it in-process (the Playwright
// suite). It forwards connections from --listen to --target and takes orders
// on an HTTP control address:
//
//	POST /cut                    close every open connection
//	POST /blackhole?on=true      stop all traffic without closing anything
//	POST /blackhole?on=false     let it flow again
//	POST /latency?ms=N           delay each chunk by N ms in each direction
//	POST /bandwidth?bps=N        limit each direction of each connection to N bytes/s (0: unlimited)
//	POST /target?addr=HOST:PORT  send new connections elsewhere
//	GET  /                       the current settings, as JSON
//
// Every answer is the settings as JSON. When both addresses listen, it prints
// one JSON line {"listen": ..., "control": ..., "target": ...} on stdout
// (port 0 in a flag picks a free port, and the line tells which). It is a
// test tool: it listens on loopback addresses only unless told otherwise, and
// has no authentication.
//
//	go run ./server/internal/faultproxy/cmd/faultproxy --listen 127.0.0.1:9001 --target 127.0.0.1:8080 --control 127.0.0.1:9002
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"livefeed/server/internal/faultproxy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("faultproxy", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address the proxy accepts connections on")
	target := fs.String("target", "", "address connections are forwarded to (required)")
	control := fs.String("control", "127.0.0.1:0", "address of the HTTP control API")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" {
		return errors.New("--target is required")
	}
	p, err := faultproxy.NewOn(*listen, *target)
	if err != nil {
		return err
	}
	defer p.Close()
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		return err
	}
	c := newController(p, *target)
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 5 * time.Second}
	ready, _ := json.Marshal(map[string]string{"listen": p.Addr(), "control": ln.Addr().String(), "target": *target})
	fmt.Println(string(ready))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		return err
	}
}

// settings is what the control API reports.
type settings struct {
	Target    string `json:"target"`
	BlackHole bool   `json:"blackhole"`
	LatencyMS int64  `json:"latency_ms"`
	Bandwidth int    `json:"bandwidth_bps"`
	Cuts      int    `json:"cuts"`
}

// controller is the HTTP control API of one proxy.
type controller struct {
	p   *faultproxy.Proxy
	mux *http.ServeMux

	mu  sync.Mutex
	set settings
}

func newController(p *faultproxy.Proxy, target string) *controller {
	c := &controller{p: p, mux: http.NewServeMux(), set: settings{Target: target}}
	c.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { c.reply(w) })
	c.mux.HandleFunc("POST /cut", func(w http.ResponseWriter, r *http.Request) {
		c.p.Cut()
		c.update(func(s *settings) { s.Cuts++ })
		c.reply(w)
	})
	c.mux.HandleFunc("POST /blackhole", func(w http.ResponseWriter, r *http.Request) {
		on, err := strconv.ParseBool(r.URL.Query().Get("on"))
		if err != nil {
			http.Error(w, "on must be true or false", http.StatusBadRequest)
			return
		}
		c.p.BlackHole(on)
		c.update(func(s *settings) { s.BlackHole = on })
		c.reply(w)
	})
	c.mux.HandleFunc("POST /latency", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.ParseInt(r.URL.Query().Get("ms"), 10, 64)
		if err != nil || ms < 0 {
			http.Error(w, "ms must be a whole number of milliseconds, 0 or more", http.StatusBadRequest)
			return
		}
		c.p.SetLatency(time.Duration(ms) * time.Millisecond)
		c.update(func(s *settings) { s.LatencyMS = ms })
		c.reply(w)
	})
	c.mux.HandleFunc("POST /bandwidth", func(w http.ResponseWriter, r *http.Request) {
		bps, err := strconv.Atoi(r.URL.Query().Get("bps"))
		if err != nil || bps < 0 {
			http.Error(w, "bps must be a whole number of bytes per second, 0 (unlimited) or more", http.StatusBadRequest)
			return
		}
		c.p.SetBandwidth(bps)
		c.update(func(s *settings) { s.Bandwidth = bps })
		c.reply(w)
	})
	c.mux.HandleFunc("POST /target", func(w http.ResponseWriter, r *http.Request) {
		addr := r.URL.Query().Get("addr")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			http.Error(w, "addr must be host:port", http.StatusBadRequest)
			return
		}
		c.p.SetTarget(addr)
		c.update(func(s *settings) { s.Target = addr })
		c.reply(w)
	})
	return c
}

func (c *controller) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

func (c *controller) update(f func(*settings)) {
	c.mu.Lock()
	f(&c.set)
	s := c.set
	c.mu.Unlock()
	log.Printf("faultproxy: %+v", s)
}

func (c *controller) reply(w http.ResponseWriter) {
	c.mu.Lock()
	s := c.set
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}
