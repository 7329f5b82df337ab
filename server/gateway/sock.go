package gateway

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// sock is the hijacked TCP connection of a WebSocket; every byte the server
// sends goes through it. Data messages are written as complete frames made
// once per message (see package wsframe) by the connection's send path;
// coder/websocket writes only control frames (ping, pong, close) through
// Write. wmu keeps the two from interleaving: it is held for every write,
// and across a frame written in part until its rest is written.
type sock struct {
	net.Conn
	raw syscall.RawConn // nil: no file descriptor, every write blocks (goes to the writer)
	wmu sync.Mutex

	// tryWrite's arguments and results, under wmu: rawWrite is bound
	// once (writeFn), so a write allocates nothing (a closure passed to
	// RawConn.Write would escape, with what it captures, on every call).
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

func newSock(nc net.Conn) *sock {
	s := &sock{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
			s.writeFn = s.rawWrite
		}
	}
	return s
}

// Write is coder/websocket's path to the socket (control frames; each is
// flushed in one Write, see writeBufferSize).
func (s *sock) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.Conn.Write(p)
}

// errWouldBlock: the socket's send buffer is full.
var errWouldBlock = errors.New("gateway: socket send buffer full")

// tryWrite writes p without waiting; wmu is held. It returns how much was
// written and errWouldBlock when the kernel's send buffer filled up first.
// Any other error means the connection is broken.
func (s *sock) tryWrite(p []byte) (int, error) {
	s.wbuf, s.wn, s.werr = p, 0, nil
	err := s.raw.Write(s.writeFn)
	n, werr := s.wn, s.werr
	s.wbuf, s.werr = nil, nil
	if err != nil {
		return n, err
	}
	return n, werr
}

// rawWrite is tryWrite's body, called by RawConn.Write with the socket's
// descriptor; it always returns true (never wait for writability here).
func (s *sock) rawWrite(fd uintptr) bool {
	for s.wn < len(s.wbuf) {
		m, err := send(fd, s.wbuf[s.wn:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			s.werr = errWouldBlock
			return true
		case err != nil:
			s.werr = err
			return true
		}
		s.wn += m
	}
	return true
}
