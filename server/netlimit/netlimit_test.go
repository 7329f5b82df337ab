package netlimit

import (
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/wait"
)

func TestConnsForFiles(t *testing.T) {
	for _, c := range []struct {
		files uint64
		want  int
	}{
		{1024, 1024 - MinReserve}, // an eighth is below the minimum reserve
		{20000, 20000 - 2500},
		{MinReserve, 1},
		{10, 1},
	} {
		if got := ConnsForFiles(c.files); got != c.want {
			t.Errorf("ConnsForFiles(%d) = %d, want %d", c.files, got, c.want)
		}
	}
}

// serveEcho accepts through l and echoes until each connection closes.
func serveEcho(t *testing.T, l *Listener) {
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { l.Close() })
}

// alive reports whether c is served: an echo comes back.
func alive(t *testing.T, c net.Conn) bool {
	t.Helper()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("x")); err != nil {
		return false
	}
	b := make([]byte, 1)
	_, err := c.Read(b)
	return err == nil
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// servedConn reports whether a new connection to addr is served (one over a
// cap may be reset before its dial even returns).
func servedConn(t *testing.T, addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	return alive(t, c)
}

func TestPerIPCapAtItsEdge(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const cap = 4
	l := Listen(ln, Config{MaxPerIP: cap})
	serveEcho(t, l)
	addr := ln.Addr().String()
	var conns []net.Conn
	for i := range cap {
		c := dial(t, addr)
		if !alive(t, c) {
			t.Fatalf("connection %d of %d refused", i+1, cap)
		}
		conns = append(conns, c)
	}
	if servedConn(t, addr) {
		t.Fatalf("connection %d served over a cap of %d", cap+1, cap)
	}
	if l.Refused.Load() != 1 {
		t.Errorf("Refused = %d", l.Refused.Load())
	}
	// The ones within the cap are still served, and closing one frees a
	// place.
	for i, c := range conns {
		if !alive(t, c) {
			t.Fatalf("connection %d dropped", i)
		}
	}
	conns[0].Close()
	wait.For(t, 2*time.Second, wait.Poll, func() error {
		if _, n := l.Open("127.0.0.1"); n != cap-1 {
			return fmt.Errorf("closing a connection did not free its place: %d open, want %d", n, cap-1)
		}
		return nil
	})
	if !servedConn(t, addr) {
		t.Fatal("a place freed was not given to the next connection")
	}
}

func TestTotalCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(ln, Config{MaxConns: 2})
	serveEcho(t, l)
	a, b := dial(t, ln.Addr().String()), dial(t, ln.Addr().String())
	if !alive(t, a) || !alive(t, b) {
		t.Fatal("within the cap, refused")
	}
	if servedConn(t, ln.Addr().String()) {
		t.Fatal("third connection served over a total cap of 2")
	}
}

func TestConnKeepsItsDescriptor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Listen(ln, Config{})
	defer l.Close()
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(syscall.Conn); !ok {
		t.Fatal("the accepted connection hides its descriptor (the gateway writes with send(2))")
	}
}
