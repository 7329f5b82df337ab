//go:build linux

package bench

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// reactor reads the clients' sockets with edge-triggered epoll: one read
// system call per burst of data instead of a goroutine per connection
// (which costs a wake-up, a read and a second read that returns EAGAIN per
// message). At 10,000 clients × 10 events/s the load generator has to read
// 100,000 messages a second on its one core; with a goroutine per
// connection it could not. The epoll descriptor is itself waited on through
// the Go runtime's poller, so the reactor is an ordinary goroutine.
//
// A connection is handed to the reactor after its handshake and hello
// (ordinary blocking I/O in the client's goroutine) as a descriptor of its
// own (a dup; the net.Conn is closed), and handed back when it fails: only
// the reactor closes it, so a descriptor number is never reused under it.
type reactor struct {
	busy  bool // poll without sleeping (see Config.BusyPoll)
	epfd  int
	file  *os.File
	mu    sync.Mutex
	conns map[int32]*rconn
	stop  atomic.Bool
	done  chan struct{}
}

// rconn is a connection owned by a reactor.
type rconn struct {
	c      *client
	fd     int
	closed bool   // the reactor closed fd (under reactor.mu)
	buf    []byte // unparsed bytes are buf[:n]
	n      int
	skip   int // payload bytes still to skip (a large message)
	frag   []byte
	wbuf   []byte
	// gone is called once, from the reactor with its lock held, when the
	// connection failed or was shut down; it must not block.
	gone func(error)
}

func newReactor(busy bool) (*reactor, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	r := &reactor{busy: busy, epfd: fd, file: os.NewFile(uintptr(fd), "epoll"), conns: map[int32]*rconn{}, done: make(chan struct{})}
	go r.loop()
	return r, nil
}

// add registers a connection whose descriptor rc.fd the reactor now owns;
// initial is what the handshake reader had buffered past the HTTP response.
func (r *reactor) add(rc *rconn, initial []byte) error {
	rc.buf = make([]byte, max(4096, len(initial)+1024))
	rc.n = copy(rc.buf, initial)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns[int32(rc.fd)] = rc
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: int32(rc.fd)}
	if err := syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, rc.fd, &ev); err != nil {
		delete(r.conns, int32(rc.fd))
		syscall.Close(rc.fd)
		rc.closed = true
		return err
	}
	// Parse what was buffered, and read once: an edge may have passed
	// before the registration.
	if err := rc.parse(); err != nil {
		r.drop(rc, err)
		return nil
	}
	r.readable(rc, endEvents)
	return nil
}

const epollET = 1 << 31

// shutdown makes the connection fail; the reactor then hands it back.
func (r *reactor) shutdown(rc *rconn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !rc.closed {
		syscall.Shutdown(rc.fd, syscall.SHUT_RDWR)
	}
}

func (r *reactor) close() {
	r.stop.Store(true)
	<-r.done
	r.mu.Lock()
	for _, rc := range r.conns {
		r.drop(rc, errors.New("stopped"))
	}
	r.mu.Unlock()
	r.file.Close()
}

func (r *reactor) loop() {
	defer close(r.done)
	raw, err := r.file.SyscallConn()
	if err != nil {
		return
	}
	events := make([]syscall.EpollEvent, 512)
	if r.busy {
		for !r.stop.Load() {
			n, _ := syscall.EpollWait(r.epfd, events, 0)
			if n <= 0 {
				runtime.Gosched()
				continue
			}
			r.mu.Lock()
			for i := range n {
				if rc := r.conns[events[i].Fd]; rc != nil {
					r.readable(rc, events[i].Events)
				}
			}
			r.mu.Unlock()
		}
		return
	}
	for !r.stop.Load() {
		// Wait (in the Go poller) until the epoll descriptor is readable,
		// at most 50 ms so that a stop is noticed.
		r.file.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		raw.Read(func(fd uintptr) bool {
			for {
				n, err := syscall.EpollWait(int(fd), events, 0)
				if err != nil {
					return !errors.Is(err, syscall.EINTR)
				}
				if n == 0 {
					return false // nothing ready: park until readable
				}
				r.mu.Lock()
				for i := range n {
					if rc := r.conns[events[i].Fd]; rc != nil {
						r.readable(rc, events[i].Events)
					}
				}
				r.mu.Unlock()
				if n < len(events) {
					return true
				}
			}
		})
	}
}

// endEvents are the epoll events that may come with the end of the
// stream.
const endEvents = syscall.EPOLLRDHUP | syscall.EPOLLHUP | syscall.EPOLLERR

// readable reads everything available on rc. A short read means no more
// data for now, and the next edge comes with new data, unless the event
// also reported the end of the stream (a FIN or a shutdown arrives on the
// same edge as the last data): then it reads on until EOF or EAGAIN.
// r.mu is held.
func (r *reactor) readable(rc *rconn, events uint32) {
	for {
		if rc.n == len(rc.buf) {
			rc.buf = append(rc.buf, make([]byte, len(rc.buf))...)
		}
		avail := len(rc.buf) - rc.n
		n, err := syscall.Read(rc.fd, rc.buf[rc.n:])
		if n > 0 {
			rc.n += n
			if ferr := rc.parse(); ferr != nil {
				r.drop(rc, ferr)
				return
			}
			if n < avail && events&endEvents == 0 {
				return
			}
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			return
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err == nil {
			err = errors.New("EOF")
		}
		r.drop(rc, err)
		return
	}
}

// drop closes rc and hands it back. r.mu is held.
func (r *reactor) drop(rc *rconn, err error) {
	if rc.closed {
		return
	}
	syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, rc.fd, nil)
	delete(r.conns, int32(rc.fd))
	syscall.Close(rc.fd)
	rc.closed = true
	rc.gone(err)
}

// parse handles the complete frames in rc.buf[:rc.n].
func (rc *rconn) parse() error {
	b := rc.buf[:rc.n]
	off := 0
	for {
		if rc.skip > 0 {
			k := min(rc.skip, len(b)-off)
			off += k
			rc.skip -= k
			if rc.skip > 0 {
				break
			}
			continue
		}
		rest := b[off:]
		if len(rest) < 2 {
			break
		}
		fin := rest[0]&0x80 != 0
		op := rest[0] & 0x0F
		if rest[1]&0x80 != 0 {
			return errors.New("masked frame from server")
		}
		h := 2
		l := int(rest[1] & 0x7F)
		switch l {
		case 126:
			if len(rest) < 4 {
				goto out
			}
			l, h = int(binary.BigEndian.Uint16(rest[2:4])), 4
		case 127:
			if len(rest) < 10 {
				goto out
			}
			l, h = int(binary.BigEndian.Uint64(rest[2:10])), 10
		}
		if op >= 0x8 {
			if len(rest) < h+l {
				break
			}
			p := rest[h : h+l]
			switch op {
			case opPing:
				rc.write(opPong, p)
			case opClose:
				ce := &closeError{Code: 1005}
				if len(p) >= 2 {
					ce.Code = int(binary.BigEndian.Uint16(p))
					ce.Reason = string(p[2:])
				}
				var echo [2]byte
				binary.BigEndian.PutUint16(echo[:], uint16(ce.Code))
				rc.write(opClose, echo[:])
				return ce
			}
			off += h + l
			continue
		}
		if l > maxKeep {
			// Keep the head (type, feed, pos), skip the rest.
			k := min(l, keepHead)
			if len(rest) < h+k {
				break
			}
			rc.message(fin, op, rest[h:h+k], l)
			off += h + k
			rc.skip = l - k
			continue
		}
		if len(rest) < h+l {
			if len(rc.buf) < h+l {
				// Make room for the whole frame.
				nb := make([]byte, max(2*len(rc.buf), h+l+1024))
				rc.n = copy(nb, rest)
				rc.buf = nb
				return nil
			}
			break
		}
		rc.message(fin, op, rest[h:h+l], l)
		off += h + l
	}
out:
	// Keep the partial frame at the start of the buffer; shrink a buffer
	// grown for a large frame.
	rem := copy(rc.buf, b[off:])
	rc.n = rem
	if len(rc.buf) > 64<<10 && rem <= 4096 {
		nb := make([]byte, 4096)
		copy(nb, rc.buf[:rem])
		rc.buf = nb
	}
	return nil
}

// message handles one data frame (reassembling fragments, which this
// server does not send).
func (rc *rconn) message(fin bool, op byte, p []byte, total int) {
	if !fin || op == opCont {
		rc.frag = append(rc.frag, p...)
		if !fin {
			return
		}
		p, total = rc.frag, len(rc.frag)
		defer func() { rc.frag = rc.frag[:0] }()
	}
	rc.c.handle(p, total, time.Now())
}

// write sends a small masked frame from the reactor thread.
func (rc *rconn) write(op byte, p []byte) {
	rc.wbuf = appendFrame(rc.wbuf[:0], op, p)
	b := rc.wbuf
	for tries := 0; len(b) > 0 && tries < 100; tries++ {
		n, err := syscall.Write(rc.fd, b)
		if n > 0 {
			b = b[n:]
		}
		if err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR) {
			return
		}
		if len(b) > 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// appendFrame appends a masked client frame.
func appendFrame(b []byte, op byte, p []byte) []byte {
	b = append(b, 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range p {
		b[start+i] ^= mask[i&3]
	}
	return b
}

// describe reports what the reactor knows of rc (teardown diagnostics).
func (r *reactor) describe(rc *rconn) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("fd %d registered %v closed %v buffered %d skip %d",
		rc.fd, r.conns[int32(rc.fd)] == rc, rc.closed, rc.n, rc.skip)
}
