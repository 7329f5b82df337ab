//go:build linux

package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/shared/protocol"
)

// client is one simulated user: one connection, one goroutine, one or two
// feeds. It reconnects and resumes when dropped.
type client struct {
	r     *run
	idx   int
	token string
	laddr *net.TCPAddr
	feeds []feedState

	ready   atomic.Bool
	readyCh chan error
	re      *reactor
	goneCh  chan error // the reactor hands the connection back

	mu        sync.Mutex
	rc        *rconn // the connection, while the reactor has it
	dropDelay time.Duration
	dropped   bool

	// Connection state, used by the reactor while it has the connection.
	resume  bool
	started time.Time
	pending int // subscriptions not yet caught up
}

// feedState is a client's view of one feed: the continuity check of the
// protocol (apply e only if e.prev <= last < e.pos).
type feedState struct {
	info       *feedInfo
	name       []byte
	subscribed bool   // first subscribed received
	subPos     uint64 // position at the first subscription
	last       uint64 // last applied position
	gapList    [][2]uint64

	delivered, dup, ooo, gaps atomic.Uint64
	reset                     atomic.Bool // got a snapshot after history_gone
}

func (f *feedState) onEvent(pos, prev uint64) {
	if pos <= f.last {
		for i, g := range f.gapList {
			if pos > g[0] && pos <= g[1] {
				f.ooo.Add(1)
				f.delivered.Add(1)
				if pos == g[1] {
					f.gapList = append(f.gapList[:i], f.gapList[i+1:]...)
				}
				return
			}
		}
		f.dup.Add(1)
		return
	}
	if prev > f.last {
		f.gaps.Add(1)
		if len(f.gapList) < 64 {
			f.gapList = append(f.gapList, [2]uint64{f.last, prev})
		}
	}
	f.last = pos
	f.delivered.Add(1)
}

func (r *run) newClient(i int) *client {
	c := &client{r: r, idx: i, token: r.tokens[i%len(r.tokens)], readyCh: make(chan error, 1),
		goneCh: make(chan error, 1), re: r.reactors[i%len(r.reactors)]}
	if len(r.ips) > 0 {
		c.laddr = r.ips[i%len(r.ips)]
	}
	add := func(fi *feedInfo) {
		c.feeds = append(c.feeds, feedState{info: fi, name: []byte(fi.name)})
		fi.subs++
	}
	add(r.feeds[i%len(r.feeds)])
	if r.shared != nil {
		add(r.shared)
	}
	return c
}

// connectAll opens every client's connection, ConnectConcurrency at a time.
func (r *run) connectAll(ctx context.Context) {
	r.clients = make([]*client, r.cfg.Clients)
	for i := range r.clients {
		r.clients[i] = r.newClient(i)
	}
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range r.cfg.ConnectConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(r.clients) || ctx.Err() != nil {
					return
				}
				c := r.clients[i]
				st := time.Now()
				r.wg.Add(1)
				go c.loop(ctx)
				select {
				case err := <-c.readyCh:
					if err != nil {
						r.connFail.Add(1)
						r.errorf("client %d: %v", i, err)
						continue
					}
					r.conn.record(time.Since(st))
				case <-ctx.Done():
					return
				}
				if i > 0 && i%5000 == 0 {
					r.logf("  %d connected", i)
				}
			}
		}()
	}
	wg.Wait()
}

// stopAll closes every connection and waits for the client goroutines.
func (r *run) stopAll() {
	r.stopping.Store(true)
	for _, c := range r.clients {
		if c != nil {
			c.mu.Lock()
			if c.rc != nil {
				c.re.shutdown(c.rc)
			}
			c.mu.Unlock()
		}
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(10 * time.Second):
	}
	n := 0
	var detail string
	for _, c := range r.clients {
		if c != nil {
			c.mu.Lock()
			if rc := c.rc; rc != nil {
				n++
				if detail == "" {
					detail = c.re.describe(rc)
				}
			}
			c.mu.Unlock()
		}
	}
	r.errorf("teardown: %d connections were not handed back by the reactor within 10 s (first: %s)", n, detail)
	close(r.stopped)
	r.wg.Wait()
}

// drop closes the connection as if the network failed; the client comes back
// after a delay drawn from [0, spread].
func (c *client) drop(spread time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropped = true
	if spread > 0 {
		c.dropDelay = rand.N(spread)
	}
	if c.rc != nil {
		c.re.shutdown(c.rc)
	}
}

func (c *client) hello(resume bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"hello","data":{"client":"livefeed-bench/1","subs":[`)
	for i := range c.feeds {
		f := &c.feeds[i]
		if i > 0 {
			b.WriteByte(',')
		}
		if resume {
			fmt.Fprintf(&b, `{"feed":%q,"mode":"resume","pos":%d}`, f.info.name, f.last)
		} else {
			fmt.Fprintf(&b, `{"feed":%q,"mode":%q}`, f.info.name, c.r.cfg.Mode)
		}
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// stopped says whether the run is stopping or ctx is done; a client that
// never connected tells its readyCh so, which the run waits on.
func (c *client) stopped(ctx context.Context, resume bool) bool {
	if !c.r.stopping.Load() && ctx.Err() == nil {
		return false
	}
	if !c.ready.Load() && !resume {
		c.readyCh <- errors.New("stopped before connecting")
	}
	return true
}

func (c *client) loop(ctx context.Context) {
	if c.r.cfg.Transport != "ws" {
		c.loopHTTP(ctx)
		return
	}
	r := c.r
	defer r.wg.Done()
	resume := false
	failures := 0
	for {
		if c.stopped(ctx, resume) {
			return
		}
		st := time.Now()
		var ws *wsConn
		var err error
		if r.cfg.Target == targetCentrifugo {
			ws, err = dialWS(r.host, centrifugoPath, "", c.laddr, "", 30*time.Second, r.cfg.ReadBuffer)
			if err == nil {
				err = ws.writeText(c.centrifugoHello())
			}
		} else {
			ws, err = dialWS(r.host, "/ws", protocol.Subprotocol, c.laddr, c.token, 30*time.Second, r.cfg.ReadBuffer)
			if err == nil {
				err = ws.writeText(c.hello(resume))
			}
		}
		if err != nil {
			if ws != nil {
				ws.close()
			}
			failures++
			if !resume {
				if failures >= 3 {
					c.readyCh <- err
					return
				}
				r.retries.Add(1)
			} else if failures >= 10 {
				r.reconFail.Add(1)
				r.errorf("client %d: reconnect: %v", c.idx, err)
				return
			}
			sleep(ctx, time.Duration(failures)*200*time.Millisecond+rand.N(200*time.Millisecond))
			continue
		}
		failures = 0
		fd, initial, err := ws.detach()
		if err != nil {
			r.errorf("client %d: %v", c.idx, err)
			if !resume {
				c.readyCh <- err
			}
			return
		}
		c.resume, c.started, c.pending = resume, st, len(c.feeds)
		rc := &rconn{c: c, fd: fd, gone: func(err error) { c.goneCh <- err }}
		c.mu.Lock()
		c.rc = rc
		c.mu.Unlock()
		if r.stopping.Load() {
			c.re.shutdown(rc)
		}
		if aerr := c.re.add(rc, initial); aerr != nil {
			err = aerr
		} else {
			select {
			case err = <-c.goneCh:
			case <-r.stopped:
				return
			}
		}
		c.mu.Lock()
		c.rc = nil
		c.mu.Unlock()
		if r.stopping.Load() || ctx.Err() != nil {
			return
		}
		var ce *closeError
		if errors.As(err, &ce) {
			r.countClose(strconv.Itoa(ce.Code))
		}
		if !c.comeBack(ctx, resume, err) {
			return
		}
		resume = true
	}
}

// comeBack waits before a client whose connection ended (with err)
// connects again and resumes: the delay of its drop, or a short random one
// when the server closed it. False: it does not come back (stopped, or
// lost before it ever subscribed).
func (c *client) comeBack(ctx context.Context, resume bool, err error) bool {
	c.mu.Lock()
	delay := c.dropDelay
	dropped := c.dropped
	c.dropped, c.dropDelay = false, 0
	c.mu.Unlock()
	if !dropped {
		// The server closed the connection: come back like a real
		// client (after a short random delay) and resume.
		c.r.countClose("client_saw_close")
		delay = rand.N(time.Second)
	}
	if !c.ready.Load() && !resume {
		c.readyCh <- fmt.Errorf("connection lost before subscribing: %v", err)
		return false
	}
	return sleep(ctx, delay)
}

var (
	tEvent       = []byte("event")
	tSubscribed  = []byte("subscribed")
	tSnapshot    = []byte("snapshot")
	tHistoryGone = []byte("history_gone")
	tGoAway      = []byte("goaway")
	tError       = []byte("error")
)

func typeOf(msg []byte) []byte {
	if !bytes.HasPrefix(msg, keyType) {
		return nil
	}
	rest := msg[len(keyType):]
	if i := bytes.IndexByte(rest, '"'); i >= 0 {
		return rest[:i]
	}
	return nil
}

func (c *client) feed(name []byte) *feedState {
	for i := range c.feeds {
		if bytes.Equal(c.feeds[i].name, name) {
			return &c.feeds[i]
		}
	}
	return nil
}

// handle handles one message; the reactor calls it.
func (c *client) handle(msg []byte, total int, now time.Time) {
	if c.r.cfg.Target == targetCentrifugo {
		c.handleCentrifugo(msg, total, now)
		return
	}
	r := c.r
	r.messages.Add(1)
	r.bytes.Add(uint64(total))
	typ := typeOf(msg)
	switch {
	case bytes.Equal(typ, tEvent):
		f := c.feed(strField(msg, keyFeed))
		if f == nil {
			return
		}
		pos, _ := uintField(msg, keyPos)
		prev, _ := uintField(msg, keyPrev)
		if !f.subscribed && !c.resume && f.last == 0 {
			// An event that precedes the first subscribed (the server
			// flushes events buffered during catch-up first): it
			// defines the starting point.
			f.subPos, f.last = prev, prev
		}
		before := f.delivered.Load()
		f.onEvent(pos, prev)
		if f.delivered.Load() != before {
			r.delivered.Add(1)
			if c.pending > 0 && c.resume {
				r.resumed.Add(1)
			}
		}
		if t, step := stampOf(strField(msg, keyText)); t > 0 {
			d := time.Duration(now.UnixNano() - t)
			r.lat.record(d)
			if step >= 0 && step < len(r.stepHists) {
				r.stepHists[step].record(d)
			}
			// From the log's timestamp of the event (milliseconds): the
			// part of the latency after the append, before its fsync.
			if ts, ok := uintField(msg, keyTS); ok {
				r.fromLog.record(time.Duration(now.UnixNano() - int64(ts)*int64(time.Millisecond)))
			}
		}
	case bytes.Equal(typ, tSubscribed):
		f := c.feed(strField(msg, keyFeed))
		if f == nil {
			return
		}
		pos, _ := uintField(msg, keyPos)
		if !f.subscribed {
			f.subscribed = true
			if f.last == 0 {
				f.subPos, f.last = pos, pos
			}
		} else if pos > f.last {
			// Caught up past what was received: a gap.
			f.gaps.Add(1)
			f.last = pos
		}
		if c.pending--; c.pending == 0 {
			if !c.resume {
				c.ready.Store(true)
				c.readyCh <- nil
			} else {
				r.reconns.Add(1)
				r.recon.record(now.Sub(c.started))
			}
		}
	case bytes.Equal(typ, tSnapshot):
		if f := c.feed(strField(msg, keyFeed)); f != nil {
			pos, _ := uintField(msg, keyPos)
			f.reset.Store(true)
			f.last = pos
		}
	case bytes.Equal(typ, tHistoryGone):
		r.histGone.Add(1)
	case bytes.Equal(typ, tGoAway):
		r.countClose("goaway:" + string(strField(msg, []byte(`"reason":"`))))
	case bytes.Equal(typ, tError):
		r.errorf("client %d: server error: %.200s", c.idx, msg)
	}
}
