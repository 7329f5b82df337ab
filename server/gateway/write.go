package gateway

import (
	"errors"
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// startWriterLocked starts a writer unless one runs. qmu is held.
func (c *conn) startWriterLocked() {
	if !c.writing && !c.stopped {
		c.writing = true
		c.writers.Add(1)
		go c.writeLoop()
	}
}

// enqueueLocked sends frame, which holds n messages (frames back to back;
// 0 for a control frame, which the client's app does not see and which is
// neither counted nor taken as a sign of life by the heartbeat): straight
// to the socket when nothing is queued and the socket takes it at once,
// else into the queue for the writer. It returns false when the queue
// would hold more than SendQueue messages (a run of more is taken into an
// empty queue). qmu is held.
func (c *conn) enqueueLocked(frame []byte, n int) bool {
	if c.closeReq || c.broken {
		return true // closing or broken: the rest is not sent
	}
	if c.sock != nil && !c.writing && len(c.queue) == 0 {
		// Nothing waits: the frame may go straight out (sock.go).
		w, err := c.sock.writeDirect(frame)
		switch err {
		case nil:
			if n > 0 {
				c.lastWrite.Store(c.g.clock.Load())
			}
			return true
		case errBusy: // coder/websocket writes a control frame: queue it
		case errWouldBlock:
			c.g.Stats.SocketFull.Add(1)
			// Part of the frame is out: nothing else may reach the
			// socket before its rest, so the writer inherits wmu.
			c.holdsW = w > 0
			frame = frame[w:]
		default:
			c.broken = true
			c.cancel()
			return true
		}
	}
	if c.queued > 0 && c.queued+n > c.g.cfg.SendQueue {
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += n
	c.startWriterLocked()
	return true
}

// trySend sends a frame (or n frames back to back) without blocking; a
// full queue cuts the connection off as a slow consumer.
func (c *conn) trySend(frame []byte, n int) bool {
	c.qmu.Lock()
	ok := c.enqueueLocked(frame, n)
	c.qmu.Unlock()
	if !ok {
		c.cutSlow("slow consumer: send queue full; resume from your last position")
	}
	return ok
}

// send sends a frame, waiting for room in the queue (replays, replies).
func (c *conn) send(frame []byte) error {
	for {
		c.qmu.Lock()
		if c.closeReq {
			c.qmu.Unlock()
			return errClosing
		}
		if err := c.ctx.Err(); err != nil {
			c.qmu.Unlock()
			return err
		}
		if c.enqueueLocked(frame, 1) {
			c.qmu.Unlock()
			return nil
		}
		if c.room == nil {
			c.room = make(chan struct{})
		}
		room := c.room
		c.qmu.Unlock()
		select {
		case <-room:
		case <-c.closing:
			return errClosing
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

var errClosing = errors.New("connection closing")

// sendMsg frames m for this connection alone and sends it.
func (c *conn) sendMsg(m protocol.Message) error {
	return c.send(wsframe.Text(protocol.MustEncode(m)))
}

// writeLoop writes what is queued, a batch of frames per system call
// (writev), and exits when the queue is empty; a close request is carried
// out ahead of anything still queued (after the rest of a frame written in
// part).
func (c *conn) writeLoop() {
	defer c.writers.Done()
	for {
		c.qmu.Lock()
		if c.closeReq {
			var rest []byte
			if c.holdsW {
				rest, c.holdsW = c.queue[0], false
			}
			c.qmu.Unlock()
			if rest != nil {
				c.sock.writeBlocking([][]byte{rest}, time.Second)
				c.sock.wmu.Unlock()
			}
			c.writeClose() // c.writing stays set: no writer after this one
			return
		}
		if len(c.queue) == 0 || c.broken || c.ctx.Err() != nil {
			c.writing = false
			if c.holdsW {
				c.holdsW = false
				c.sock.wmu.Unlock()
			}
			c.qmu.Unlock()
			return
		}
		batch, held, msgs := c.queue, c.holdsW, c.queued
		c.queue, c.spare, c.holdsW, c.queued = c.spare, nil, false, 0
		if c.room != nil {
			close(c.room)
			c.room = nil
		}
		c.qmu.Unlock()
		var err error
		if c.hout != nil {
			err = c.hout.write(batch, c.g.cfg.WriteTimeout)
		} else {
			if !held {
				c.sock.wmu.Lock()
			}
			err = c.sock.writeBlocking(batch, c.g.cfg.WriteTimeout)
			c.sock.wmu.Unlock()
		}
		clear(batch)
		c.qmu.Lock()
		if err != nil {
			c.broken = true
			c.cancel()
		} else if msgs > 0 {
			c.lastWrite.Store(c.g.clock.Load())
		}
		if cap(batch) <= 16 {
			c.spare = batch[:0]
		}
		c.qmu.Unlock()
	}
}
