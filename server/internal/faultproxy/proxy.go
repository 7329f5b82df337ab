// Package faultproxy is a TCP proxy for fault-injection tests: it sits between
// clients and a server on 127.0.0.1 and can cut every connection, black-hole
// traffic without closing anything (a dead network that still looks open), add
// latency, and throttle bandwidth; in its HTTP modes (http.go) it refuses
// WebSocket upgrades, or holds every response back until it has ended.
package faultproxy

import (
	"net"
	"sync"
	"syscall"
	"time"
)

// SocketBuffer is the receive buffer of the proxy's connections to the
// target, in bytes.
const SocketBuffer = 32 << 10

// Proxy forwards connections from its address to a target.
type Proxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	cond      *sync.Cond
	conns     map[net.Conn]struct{}
	blackhole bool
	latency   time.Duration
	bandwidth int // bytes per second per direction and connection; 0: unlimited
	closed    bool
	httpMode  int   // TCP, RefuseUpgrade or BufferResponses (http.go)
	stats     Stats // of the HTTP modes
}

// New listens on 127.0.0.1 (a free port) and forwards to target.
func New(target string) (*Proxy, error) { return NewOn("127.0.0.1:0", target) }

// Addr returns the proxy's address (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget changes where new connections go.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Cut closes every open connection (both sides see a reset or EOF).
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// BlackHole stops (true) or resumes (false) the flow of bytes in both
// directions on every connection, old and new, without closing any: to both
// ends the network looks open but silent. New connections are accepted but
// not connected to the target until the hole heals.
func (p *Proxy) BlackHole(on bool) {
	p.mu.Lock()
	p.blackhole = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

// SetLatency delays every chunk of data by d in each direction.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// SetBandwidth limits each direction of each connection to bytesPerSec (0:
// unlimited).
func (p *Proxy) SetBandwidth(bytesPerSec int) {
	p.mu.Lock()
	p.bandwidth = bytesPerSec
	p.mu.Unlock()
}

// Close stops listening and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Cut()
	p.cond.Broadcast()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

// waitFlow blocks while the network is black-holed; it returns the current
// latency and bandwidth, or false if the proxy closed.
func (p *Proxy) waitFlow() (time.Duration, int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.blackhole && !p.closed {
		p.cond.Wait()
	}
	return p.latency, p.bandwidth, !p.closed
}

func (p *Proxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	p.track(client, true)
	defer p.track(client, false)
	defer client.Close()
	if _, _, ok := p.waitFlow(); !ok {
		return
	}
	p.mu.Lock()
	target, mode := p.target, p.httpMode
	p.mu.Unlock()
	if mode != TCP {
		p.serveHTTP(client, target, mode)
		return
	}
	// Small socket buffers, as on a real slow link: a throttled reader
	// pushes back on the server instead of the kernel absorbing megabytes.
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, SocketBuffer)
		})
		return serr
	}}
	server, err := d.Dial("tcp", target)
	if err != nil {
		return
	}
	p.track(server, true)
	defer p.track(server, false)
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { p.pump(server, client); done <- struct{}{} }()
	go func() { p.pump(client, server); done <- struct{}{} }()
	<-done
}

// pump copies src to dst chunk by chunk, applying the current faults.
func (p *Proxy) pump(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			latency, bw, ok := p.waitFlow()
			if !ok {
				return
			}
			chunk := buf[:n]
			for len(chunk) > 0 {
				part := chunk
				if bw > 0 {
					// Send at most a tenth of a second's worth at a time.
					part = chunk[:min(len(chunk), max(bw/10, 1))]
				}
				if latency > 0 {
					time.Sleep(latency)
				}
				if _, werr := dst.Write(part); werr != nil {
					return
				}
				if bw > 0 {
					time.Sleep(time.Duration(len(part)) * time.Second / time.Duration(bw))
				}
				chunk = chunk[len(part):]
				// A black hole opened mid-chunk stops the rest too.
				if _, _, ok := p.waitFlow(); !ok {
					return
				}
			}
		}
		if err != nil {
			// A close is traffic too: it waits while the hole lasts.
			p.waitFlow()
			return
		}
	}
}
