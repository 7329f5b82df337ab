//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// wsConn is a deliberately small RFC 6455 client for the handshake and
// the hello; the reactor then reads the connection (frames are parsed in
// place and only the few fields the harness needs are looked at). It exists
// so that the load generator spends its core on reading, not on a
// general-purpose library, and so that 10,000 clients fit in little memory.
// It speaks only what the Livefeed server sends: text frames (fragmented or
// not), ping, pong and close; no extensions.
type wsConn struct {
	nc   net.Conn
	br   *bufio.Reader
	wbuf []byte
}

var errHandshake = errors.New("websocket handshake failed")

// maxKeep is the largest message payload kept in memory for parsing; larger
// ones (presence of a big audience, snapshots) are read past after their
// first keepHead bytes.
const (
	maxKeep  = 64 << 10
	keepHead = 256
)

// dialWS opens a WebSocket to path on addr (host:port) with subprotocol
// and a bearer token (each left out when empty), from local address laddr
// (nil: any).
func dialWS(addr, path, subprotocol string, laddr *net.TCPAddr, token string, timeout time.Duration, readBuf int) (*wsConn, error) {
	d := net.Dialer{Timeout: timeout}
	if laddr != nil {
		d.LocalAddr = laddr
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(timeout))
	var keyb [16]byte
	rand.Read(keyb[:])
	key := base64.StdEncoding.EncodeToString(keyb[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if subprotocol != "" {
		req += "Sec-WebSocket-Protocol: " + subprotocol + "\r\n"
	}
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, readBuf)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%w: %v", errHandshake, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		nc.Close()
		return nil, fmt.Errorf("%w: HTTP %d", errHandshake, resp.StatusCode)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(h[:]) {
		nc.Close()
		return nil, fmt.Errorf("%w: bad Sec-WebSocket-Accept", errHandshake)
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != subprotocol {
		nc.Close()
		return nil, fmt.Errorf("%w: subprotocol %q", errHandshake, p)
	}
	nc.SetDeadline(time.Time{})
	return &wsConn{nc: nc, br: br}, nil
}

const (
	opCont  = 0x0
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// closeError is a close frame received from the server.
type closeError struct {
	Code   int
	Reason string
}

func (e *closeError) Error() string { return fmt.Sprintf("closed by server: %d %s", e.Code, e.Reason) }

// writeFrame writes one masked frame (clients must mask).
func (c *wsConn) writeFrame(op byte, p []byte) error {
	c.wbuf = appendFrame(c.wbuf[:0], op, p)
	_, err := c.nc.Write(c.wbuf)
	return err
}

func (c *wsConn) writeText(p []byte) error { return c.writeFrame(opText, p) }

// detach returns a descriptor of the connection's own (a dup, in
// non-blocking mode) and the bytes read past the handshake, and closes the
// net.Conn: from then on the reactor owns the connection.
func (c *wsConn) detach() (int, []byte, error) {
	buffered, _ := c.br.Peek(c.br.Buffered())
	initial := append([]byte(nil), buffered...)
	raw, err := c.nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return -1, nil, err
	}
	fd := -1
	var derr error
	raw.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) })
	c.nc.Close()
	if derr != nil {
		return -1, nil, derr
	}
	syscall.CloseOnExec(fd)
	return fd, initial, nil
}

func (c *wsConn) close() { c.nc.Close() }

// Fast field extraction from the server's JSON. The server encodes structs
// with encoding/json, so keys appear once per object in a fixed order and a
// key pattern such as `"pos":` cannot occur inside a string value (a quote
// inside a string is always escaped). Nested objects (author) have no keys
// named like the ones looked up here.

var (
	keyType = []byte(`{"type":"`)
	keyPos  = []byte(`"pos":`)
	keyPrev = []byte(`"prev":`)
	keyTS   = []byte(`"ts":`)
	keyFeed = []byte(`"feed":"`)
	keyText = []byte(`"text":"`)
)

// msgType returns the envelope type.
func msgType(b []byte) string {
	if !bytes.HasPrefix(b, keyType) {
		return ""
	}
	rest := b[len(keyType):]
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return ""
	}
	return string(rest[:i])
}

func uintField(b, key []byte) (uint64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	var v uint64
	j := i + len(key)
	if j >= len(b) || b[j] < '0' || b[j] > '9' {
		return 0, false
	}
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		v = v*10 + uint64(b[j]-'0')
	}
	return v, true
}

// strField returns the raw (still escaped) string value of key.
func strField(b, key []byte) []byte {
	i := bytes.Index(b, key)
	if i < 0 {
		return nil
	}
	rest := b[i+len(key):]
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '"':
			return rest[:j]
		}
	}
	return nil
}

// stampPrefix starts every text the harness publishes: "t=<unix nanos> ".
const stampPrefix = "t="

// stampOf returns the send time (Unix nanoseconds) and the ramp step
// stamped in an event's text ("t=<nanos> s=<step> n=<seq> ..."), or 0.
func stampOf(text []byte) (t int64, step int) {
	if !bytes.HasPrefix(text, []byte(stampPrefix)) {
		return 0, 0
	}
	i := len(stampPrefix)
	for ; i < len(text) && text[i] >= '0' && text[i] <= '9'; i++ {
		t = t*10 + int64(text[i]-'0')
	}
	if i+3 < len(text) && text[i] == ' ' && text[i+1] == 's' && text[i+2] == '=' {
		for i += 3; i < len(text) && text[i] >= '0' && text[i] <= '9'; i++ {
			step = step*10 + int(text[i]-'0')
		}
	}
	return t, step
}

// makeText returns a post text of size bytes stamped with t.
func makeText(t time.Time, step int32, seq uint64, size int) string {
	var s string
	if step < 0 {
		s = fmt.Sprintf("warmup n=%d ", seq)
	} else {
		s = fmt.Sprintf("%s%d s=%d n=%d ", stampPrefix, t.UnixNano(), step, seq)
	}
	if len(s) >= size {
		return s
	}
	return s + strings.Repeat("x", size-len(s))
}
