package gateway

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The write path: every way a byte reaches a client's socket is in this
// file (and send(2) itself in send_linux.go, send_other.go elsewhere).
//
//   - writeDirect: a frame written straight to the socket by whoever sends
//     it (the hub's fan-out, a reply, keepalive), when no writer runs and
//     the queue is empty; it never waits (wmu by TryLock, send(2) with
//     MSG_DONTWAIT as a raw system call, on the descriptor RawConn.Control
//     holds open).
//   - writeBlocking: a batch of frames with one writev, by the connection's
//     writer goroutine (write.go) or its close (conn.writeClose), waiting at
//     most WriteTimeout (1 s for the final message before a close).
//   - Write: coder/websocket's own writes, control frames only (ping, pong,
//     close; and the refusal of a wrong protocol version in ServeHTTP).
//
// Invariants:
//
//  1. wmu is held for every write to the socket, and from a frame written
//     in part until its rest is written: frames never interleave, with each
//     other or with coder/websocket's control frames.
//  2. Frames reach the socket in the order the send queue took them: a
//     direct write only when no writer runs and the queue is empty;
//     otherwise into the queue, which the single writer drains in order. The
//     rest of a frame written in part is the head of the queue, and the
//     writer inherits wmu with it (conn.holdsW) and writes it first.
//  3. Only the writer (and a close) waits for the socket, and never with
//     qmu held; a cancelled connection ends a write in flight (inWrite:
//     newConn's AfterFunc closes the socket, which takes no lock here).
//  4. After a write fails (conn.broken) nothing more goes out through the
//     queue or writeDirect; only coder/websocket's close frame may still be
//     tried.
//
// Lock order: a lock may be taken while those before it are held, never
// the other way round.
//
//	conn.mu → subscription.mu → conn.qmu → sock.wmu
//	conn.mu → the hub's presence.mu → Hub.mu
//
//   - conn.mu → subscription.mu: subscription.leave, in conn.run. conn.mu →
//     the hub's locks: conn.run leaves each subscription (Hub.Leave) under
//     conn.mu; subscribe and unsubscribe release conn.mu before Hub.Join
//     and Hub.Leave, which take presence.mu, then Hub.mu for the
//     subscriber list.
//   - The hub holds none of its locks (Hub.mu, a feed's fanout.mu,
//     presence.mu) while it calls a sink: a feed's sweep calls Deliver, and
//     the presence announcement DeliverPresence, with no lock held. So the
//     hub's locks are never held while a subscription's or a connection's
//     is taken. catchUp reads Hub.Presence with no lock of the connection
//     held.
//   - subscription.mu → qmu: Deliver, DeliverPresence and catchUp send
//     (trySend) with subscription.mu held, and a cut-off (cutSlow,
//     closeWith) takes qmu.
//   - qmu → wmu by TryLock only (writeDirect): whoever holds qmu never
//     waits for wmu. So the writer may take qmu while it holds wmu, the
//     one it inherited with the rest of a frame, without a deadlock; every
//     blocking wmu.Lock is taken with qmu released.
//   - coder/websocket's own write lock → wmu (Write). No one calls into
//     coder/websocket with wmu held.
//
// Nothing here takes the gateway's mu (Gateway.mu): keepalive and Shutdown
// copy the connections and release it before they touch one.

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
	// RawConn.Control would escape, with what it captures, on every call).
	wbuf    []byte
	wn      int
	werr    error
	writeFn func(fd uintptr)

	bufs    net.Buffers // writeBlocking's writev argument, under wmu
	inWrite atomic.Bool // writeBlocking waits for the socket
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

var (
	// errWouldBlock: the socket's send buffer is full.
	errWouldBlock = errors.New("gateway: socket send buffer full")
	// errBusy: another write holds the socket (wmu), or it has no file
	// descriptor to write to without waiting.
	errBusy = errors.New("gateway: socket busy")
)

// writeDirect writes frame straight to the socket, without waiting, if no
// one else holds wmu. It returns how much was written and
//
//   - nil: all of frame (wmu is released);
//   - errBusy: nothing, wmu is held elsewhere (or there is no descriptor);
//   - errWouldBlock: the kernel's send buffer filled after n bytes. If n > 0,
//     wmu stays locked: the caller owns it, and its writer must write the
//     rest of frame before anything else, then unlock it;
//   - any other error: the connection is broken (wmu is released).
func (s *sock) writeDirect(frame []byte) (n int, err error) {
	if s.raw == nil || !s.wmu.TryLock() {
		return 0, errBusy
	}
	n, err = s.tryWrite(frame)
	if err != errWouldBlock || n == 0 {
		s.wmu.Unlock()
	}
	return n, err
}

// tryWrite writes p without waiting; wmu is held. It returns how much was
// written and errWouldBlock when the kernel's send buffer filled up first.
// Any other error means the connection is broken.
//
// The descriptor is had through RawConn.Control, which only holds it open
// (a reference count) while rawWrite runs, rather than RawConn.Write, which
// also takes the descriptor's write lock and readies its poller for a wait
// that never comes (send(2) here never waits): wmu already keeps every
// write to the socket apart (invariant 1), and a socket being closed
// refuses Control as it refuses Write. In a fan-out's profile that was
// about 4 % of the server's CPU (the write lock, and a cache miss on each
// connection's poller state: pollInfo.closing).
func (s *sock) tryWrite(p []byte) (int, error) {
	s.wbuf, s.wn, s.werr = p, 0, nil
	err := s.raw.Control(s.writeFn)
	n, werr := s.wn, s.werr
	s.wbuf, s.werr = nil, nil
	if err != nil {
		return n, err
	}
	return n, werr
}

// rawWrite is tryWrite's body, called by RawConn.Control with the
// socket's descriptor; it never waits for writability.
func (s *sock) rawWrite(fd uintptr) {
	for s.wn < len(s.wbuf) {
		m, err := send(fd, s.wbuf[s.wn:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			s.werr = errWouldBlock
			return
		case err != nil:
			s.werr = err
			return
		}
		s.wn += m
	}
}

// writeBlocking writes frames with one writev, waiting up to timeout for
// the socket to take them; wmu is held.
func (s *sock) writeBlocking(frames [][]byte, timeout time.Duration) error {
	s.inWrite.Store(true)
	defer s.inWrite.Store(false)
	s.SetWriteDeadline(time.Now().Add(timeout))
	s.bufs = frames // a field: a local net.Buffers would escape on every call
	_, err := s.bufs.WriteTo(s.Conn)
	s.bufs = nil
	s.SetWriteDeadline(time.Time{})
	return err
}
