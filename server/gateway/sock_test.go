package gateway

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// TestPartialFrameKeepsSocket: when the kernel takes only part of a frame,
// nothing else (a control frame coder/websocket writes, or the next frame)
// may reach the socket before the rest of it.
func TestPartialFrameKeepsSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	server.(*net.TCPConn).SetWriteBuffer(4096)

	g := New(Config{WriteTimeout: 5 * time.Second})
	c := newConn(g, nil, newSock(server), protocol.User{ID: "u"}, "", "127.0.0.1")
	defer c.stopWatchCtx()
	big := wsframe.Text(bytes.Repeat([]byte("b"), 1<<20)) // far more than the buffers hold
	next := wsframe.Text([]byte("next"))
	control := []byte{0x8A, 0} // an empty pong, as coder/websocket would write it

	if !c.trySend(big, 1) {
		t.Fatal("queue full")
	}
	c.qmu.Lock()
	held, writing := c.holdsW, c.writing
	c.qmu.Unlock()
	if !held || !writing {
		t.Fatalf("after a partial write: holdsW %v, writing %v; want both", held, writing)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := c.sock.Write(control)
		wrote <- err
	}()
	c.trySend(next, 1)

	got := make([]byte, len(big)+len(next)+len(control))
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.ReadFull(client, got); err != nil {
		t.Fatalf("read %d of %d bytes: %v", n, len(got), err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:len(big)], big) {
		i := 0
		for i < len(big) && got[i] == big[i] {
			i++
		}
		t.Fatalf("the frame was interrupted at byte %d of %d", i, len(big))
	}
	rest := got[len(big):]
	if !bytes.Equal(rest, append(append([]byte{}, control...), next...)) && !bytes.Equal(rest, append(append([]byte{}, next...), control...)) {
		t.Fatalf("after the frame: % x", rest)
	}
	c.qmu.Lock()
	c.stopped = true
	c.qmu.Unlock()
	c.writers.Wait()
}
