package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
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

// Buffer sizes of a WebSocket: client messages are small (at most
// protocol.MaxFrameBytes, usually a few hundred bytes; larger payloads are
// read around the buffer), and coder/websocket writes only control frames
// (at most 2+125 bytes, each flushed in one Write).
const (
	readBufferSize  = 1024
	writeBufferSize = 256
)

// hijackWriter hands coder/websocket a sock and small buffers of its own
// when it hijacks the connection, instead of net/http's 4 KiB ones (which
// are freed with the rest of net/http's connection state when the handler
// returns).
type hijackWriter struct {
	http.ResponseWriter
	s *sock
}

func (h *hijackWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The request's read deadline (httpapi.RequestReadTimeout) does not
	// apply to the WebSocket: its liveness is the heartbeat's.
	nc.SetDeadline(time.Time{})
	h.s = newSock(nc)
	var r *bufio.Reader
	if n := brw.Reader.Buffered(); n > 0 {
		// The client sent frames right behind its request: keep them in
		// the new reader's buffer (the library resets the reader onto
		// the connection after taking what is buffered).
		early, _ := brw.Reader.Peek(n)
		early = bytes.Clone(early)
		r = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(early), nc), max(readBufferSize, n))
		r.Peek(n)
	} else {
		r = bufio.NewReaderSize(nc, readBufferSize)
	}
	return h.s, bufio.NewReadWriter(r, bufio.NewWriterSize(h.s, writeBufferSize)), nil
}
