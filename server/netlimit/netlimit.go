// Package netlimit caps the TCP connections a server holds open, in all and
// per client address, so that no visitor can take every file descriptor the
// process has (the event log needs some to make writes durable).
//
// Over a cap, a new connection is closed as soon as it is accepted: the
// client sees a reset or an empty reply and retries with its backoff, while
// the connections already open go on. The kernel's listen queue is kept
// short that way, instead of growing while Accept waits.
package netlimit

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
)

// Defaults.
const (
	// DefaultPerIP is the default cap on concurrent connections from one
	// client address: enough for a shared office address (each browser
	// tab holds one WebSocket and a few HTTP connections).
	DefaultPerIP = 512
	// MinReserve is the least number of descriptors kept out of the cap
	// for the log, its files and the rest of the process.
	MinReserve = 128
)

// Config sets the caps; a cap of 0 is no cap.
type Config struct {
	// MaxConns caps concurrent connections in all.
	MaxConns int
	// MaxPerIP caps concurrent connections from one client IP address.
	MaxPerIP int
	// Exempt, when set, names addresses the per-address cap does not
	// apply to (trusted reverse proxies, which carry many clients).
	Exempt func(netip.Addr) bool
}

// MaxConnsForFiles returns the connection cap that leaves a reserve of the
// process's descriptor limit (RLIMIT_NOFILE) for everything else: an
// eighth of the limit, at least MinReserve.
func MaxConnsForFiles() (int, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	return ConnsForFiles(rl.Cur), nil
}

// ConnsForFiles is the connection cap for a descriptor limit of n (see
// MaxConnsForFiles); at least 1.
func ConnsForFiles(n uint64) int {
	reserve := max(n/8, MinReserve)
	if n <= reserve {
		return 1
	}
	return int(min(n-reserve, 1<<30))
}

// Listener is a net.Listener that enforces a Config.
type Listener struct {
	net.Listener
	cfg Config

	// Refused counts connections closed at once for being over a cap.
	Refused atomic.Int64

	mu    sync.Mutex
	open  int
	perIP map[string]int
}

// Listen wraps ln.
func Listen(ln net.Listener, cfg Config) *Listener {
	return &Listener{Listener: ln, cfg: cfg, perIP: map[string]int{}}
}

// Accept returns the next connection within the caps, closing the ones
// over them.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		if l.take(ip) {
			return &conn{Conn: c, l: l, ip: ip}, nil
		}
		l.Refused.Add(1)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // a reset: no TIME_WAIT left behind
		}
		c.Close()
	}
}

// Open returns the number of connections open now, in all and from ip.
func (l *Listener) Open(ip string) (all, fromIP int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.perIP[ip]
}

func (l *Listener) take(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.MaxConns > 0 && l.open >= l.cfg.MaxConns {
		return false
	}
	if l.cfg.MaxPerIP > 0 && l.perIP[ip] >= l.cfg.MaxPerIP && !l.exempt(ip) {
		return false
	}
	l.open++
	l.perIP[ip]++
	return true
}

func (l *Listener) exempt(ip string) bool {
	if l.cfg.Exempt == nil {
		return false
	}
	a, err := netip.ParseAddr(ip)
	return err == nil && l.cfg.Exempt(a.Unmap())
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}

// conn gives its place back when closed (also after net/http hijacked it
// for a WebSocket).
type conn struct {
	net.Conn
	l    *Listener
	ip   string
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// SyscallConn gives the accepted socket's descriptor, for the gateway's raw
// writes.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("netlimit: connection has no file descriptor")
	}
	return sc.SyscallConn()
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
