package session

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"livefeed/shared/protocol"
)

// One connection: dial, hello with every feed's position, the outbox sent
// again, then read, heartbeat and probe until it ends.

// connectOnce dials over the transport rung, runs one connection until it
// ends, and reports whether it got as far as a welcome and the server's
// retry window (if it sent one). Without a welcome within within (0: no
// limit) it gives up with errNoWelcome.
func (s *Session) connectOnce(ctx context.Context, rung string, dial dialFunc, within time.Duration) (connected bool, window [2]time.Duration, err error) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	if within > 0 {
		dctx, cancel = context.WithTimeout(ctx, min(within, s.cfg.DialTimeout))
	}
	started := time.Now()
	c, err := dial(dctx)
	cancel()
	if err != nil {
		return false, window, err
	}

	cctx, stop := context.WithCancel(ctx)
	defer stop()
	s.mu.Lock()
	s.stopConn = stop
	closed := s.closed.Load()
	s.mu.Unlock()
	if closed { // Close came during the dial
		go c.Close(protocol.CloseClientGoingAway, "closed")
		return false, window, ErrClosed
	}
	// What the reader reads, in order: messages, then the error that ended
	// the connection (one channel, so that a goaway written just before
	// the close frame is handled before the close).
	type read struct {
		b   []byte
		err error
	}
	frames := make(chan read, 16)
	go func() {
		for {
			b, err := c.Read(cctx)
			select {
			case frames <- read{b, err}:
			case <-cctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
		}
		clear(s.subbed)
		s.mu.Unlock()
		// Close in the background: on a dead network the close handshake
		// would wait for its own timeout.
		go c.Close(protocol.CloseClientGoingAway, "reconnecting")
		s.flush()
	}()

	// Hello with every feed's position, then everything in the outbox.
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return false, window, ErrClosed
	}
	hello := protocol.Hello{Client: s.cfg.Client}
	now := time.Now()
	resumes := 0 // counted when the hello is answered: a transport may take it and never reach the server
	for _, name := range s.follow {
		sub := s.subFor(name)
		if sub.Mode == protocol.ModeResume {
			resumes++
		}
		s.subAt[name] = now
		hello.Subs = append(hello.Subs, sub)
	}
	s.conn = c
	var pending []protocol.Action
	for _, p := range s.box.Pending {
		if p.AckedPos == 0 {
			pending = append(pending, p.Action.WithKind(p.Type))
		}
	}
	s.mu.Unlock()
	if err := s.write(c, hello); err != nil {
		return false, window, err
	}
	for _, a := range pending {
		if err := s.write(c, a); err != nil {
			return false, window, err
		}
	}

	interval := protocol.HeartbeatInterval
	dead := time.NewTimer(protocol.DeadAfter(interval))
	defer dead.Stop()
	deadAt, probing := time.Now().Add(protocol.DeadAfter(interval)), false
	deadIn := func(d time.Duration) { // the connection is dead d from now
		dead.Reset(d)
		deadAt = time.Now().Add(d)
	}
	alive := func(d time.Duration) { // traffic: no probe is pending
		deadIn(d)
		probing = false
	}
	beat := time.NewTicker(interval)
	defer beat.Stop()
	// Changed feeds are written to the store at most every FlushInterval.
	flush := time.NewTimer(FlushInterval)
	defer flush.Stop()
	flushArmed := true
	clock := newClockWatch()
	defer clock.stop()
	var welcomeBy <-chan time.Time
	if within > 0 {
		t := time.NewTimer(within - time.Since(started))
		defer t.Stop()
		welcomeBy = t.C
	}
	var movedUp atomic.Bool // set by the probe of the ladder before it ends the connection
	for {
		select {
		case <-welcomeBy:
			if !connected {
				return false, window, errNoWelcome
			}
		case <-cctx.Done():
			if ctx.Err() != nil {
				return connected, window, ctx.Err()
			}
			if movedUp.Load() {
				return connected, window, errMoveUp
			}
			return connected, window, errOffline
		case <-clock.jumped:
			return connected, window, errWoke
		case <-dead.C:
			if probing {
				return connected, window, errProbe
			}
			return connected, window, errDead
		case <-beat.C:
			s.write(c, protocol.Heartbeat{Time: time.Now().UnixMilli()})
		case <-s.probe:
			if err := s.write(c, protocol.Heartbeat{Time: time.Now().UnixMilli(), Probe: true}); err != nil {
				return connected, window, err
			}
			if time.Until(deadAt) > protocol.ProbeTimeout {
				deadIn(protocol.ProbeTimeout)
			}
			probing = true
		case <-flush.C:
			flushArmed = false
			s.flush()
		case r := <-frames:
			if r.err != nil {
				return connected, window, fmt.Errorf("session: connection lost: %w", r.err)
			}
			b := r.b
			alive(protocol.DeadAfter(interval))
			m, err := protocol.Decode(b)
			if err != nil {
				s.cfg.Logf("session: bad message from server: %v", err)
				continue
			}
			if w, ok := m.(protocol.Welcome); ok {
				connected = true
				s.ladder.worked(rung)
				s.mu.Lock()
				s.status.Transport = rung
				s.status.Stats.Resumes += resumes
				s.mu.Unlock()
				if s.ladder.auto() && rung != TransportWebSocket {
					go s.ladder.probeUp(cctx, func() { movedUp.Store(true); stop() })
				}
				if w.HeartbeatMS > 0 {
					interval = time.Duration(w.HeartbeatMS) * time.Millisecond
					beat.Reset(interval)
					alive(protocol.DeadAfter(interval))
				}
			}
			if !flushArmed {
				flush.Reset(FlushInterval)
				flushArmed = true
			}
			if err := s.handle(c, m); err != nil {
				var ga goAwayErr
				if errors.As(err, &ga) {
					window = [2]time.Duration{time.Duration(ga.g.RetryMinMS) * time.Millisecond, time.Duration(ga.g.RetryMaxMS) * time.Millisecond}
				}
				return connected, window, err
			}
		}
	}
}

func (s *Session) write(c transport, m protocol.Message) error {
	if s.closed.Load() {
		return fmt.Errorf("session: write %s: %w", m.MsgType(), ErrClosed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, protocol.MustEncode(m)); err != nil {
		return fmt.Errorf("session: write %s: %w", m.MsgType(), err)
	}
	return nil
}

// subFor returns the subscription for a feed on (re)connect. Called with mu held.
func (s *Session) subFor(name string) protocol.Sub {
	f := s.feeds[name]
	if f.Synced {
		return protocol.Sub{Feed: name, Mode: protocol.ModeResume, Pos: f.Pos, Epoch: f.Epoch}
	}
	if p, ok := s.cfg.InitialPos[name]; ok {
		return protocol.Sub{Feed: name, Mode: protocol.ModeResume, Pos: p}
	}
	return protocol.Sub{Feed: name, Mode: s.cfg.InitialMode}
}

// TemporaryRetry is the least wait before an action refused with a
// temporary error (rate_limited, internal) is sent again on the same
// connection; the server's retry_after_ms, when longer, wins.
const TemporaryRetry = time.Second

// resend sends a pending action again if c is still the connection (after
// a reconnect the whole outbox is resent anyway).
func (s *Session) resend(c transport, op string) {
	s.mu.Lock()
	i := s.box.find(op)
	if s.conn != c || i < 0 || s.box.Pending[i].AckedPos != 0 {
		s.mu.Unlock()
		return
	}
	p := s.box.Pending[i]
	s.mu.Unlock()
	s.write(c, p.Action.WithKind(p.Type))
}
