package session

import (
	"context"
	"errors"
	"time"

	"livefeed/shared/protocol"
)

// The reconnect loop: connect, and on a failure wait (backoff, the
// server's goaway window, a retry now, going online) and connect again.

// RetryNow skips the current backoff wait (the "Retry now" button, the
// browser's online event, a hidden tab becoming visible).
func (s *Session) RetryNow() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Probe checks a connection that looks live but may have died silently
// (a tab shown again after being hidden, the network back): the session
// asks the server for a heartbeat and, if nothing arrives within
// protocol.ProbeTimeout, drops the connection and reconnects, instead of
// waiting up to the heartbeat deadline (15 s). It does nothing unless the
// session is live.
func (s *Session) Probe() {
	if s.Status().State != StateLive {
		return
	}
	select {
	case s.probe <- struct{}{}:
	default:
	}
}

// SetOnline tells the session whether the browser believes it is online.
// While offline the session does not try to connect.
// Going offline closes the current connection (a browser may keep a
// WebSocket open while it reports being offline, and nothing should be sent
// into it then).
func (s *Session) SetOnline(online bool) {
	s.mu.Lock()
	changed := s.online != online
	s.online = online
	stop := s.stopConn
	s.mu.Unlock()
	if changed && !online && stop != nil {
		stop()
	}
	if changed {
		s.RetryNow()
	}
}

// ErrUpdateRequired is returned by Run when the server does not speak this
// client's protocol version.
var ErrUpdateRequired = errors.New("session: the server needs a newer client (protocol version mismatch)")

// ErrSignedOut is returned by Run when the server ended the session
// (protocol.CodeSignedOut: a sign-out here or elsewhere, "sign out
// everywhere", expiry): reconnecting with the same token cannot succeed,
// so Run stops instead of looping; the app shows its sign-in.
var ErrSignedOut = errors.New("session: signed out (the server ended this session)")

// Run connects and keeps reconnecting until ctx is done.
func (s *Session) Run(ctx context.Context) error {
	attempt := 0
	movingUp := false
	defer s.flush()
	for {
		if s.closed.Load() {
			return ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		online := s.online
		s.mu.Unlock()
		if !online {
			s.setStatus(func(st *Status) { st.State, st.NextTry = StateOffline, time.Time{} })
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.kick:
				continue
			}
		}
		if attempt > 0 && !movingUp {
			s.setStatus(func(st *Status) { st.State = StateReconnecting })
		}
		movingUp = false
		started := time.Now()
		rung, dial, within := s.ladder.next()
		connected, window, err := s.connectOnce(ctx, rung, dial, within)
		if s.closed.Load() {
			return ErrClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrUpdateRequired) {
			s.setStatus(func(st *Status) { st.State, st.LastError = StateUpdateRequired, err.Error() })
			<-ctx.Done()
			return err
		}
		if errors.Is(err, ErrSignedOut) {
			s.setStatus(func(st *Status) { st.State, st.LastError, st.NextTry = StateSignedOut, err.Error(), time.Time{} })
			return err
		}
		if s.ladder.done(rung, connected, time.Since(started), err) {
			// A rung down (this one never answered), or up (a
			// WebSocket passed the probe): at once, no backoff. Moving
			// up, the indicator stays "Live": a WebSocket just
			// answered, and the connection is back within a round trip.
			movingUp = errors.Is(err, errMoveUp)
			s.cfg.Logf("session: %s: %v; trying the next transport", rung, err)
			continue
		}
		if connected && time.Since(started) >= s.cfg.Backoff.HealthyAfter {
			attempt = 0
		}
		delay := s.cfg.Backoff.Delay(attempt)
		if window[1] > 0 {
			delay += s.cfg.Backoff.Window(window[0], window[1])
		}
		attempt++
		msg := ""
		if err != nil {
			msg = err.Error()
			s.cfg.Logf("session: %v; retrying in %v", err, delay.Round(time.Millisecond))
		}
		if errors.Is(err, errWoke) {
			delay = 0
		}
		next := time.Now().Add(delay)
		s.setStatus(func(st *Status) {
			st.State, st.NextTry, st.Attempt, st.LastError = StateReconnecting, next, attempt, msg
		})
		if err := s.sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// sleep waits for d, returning early on RetryNow or a clock jump.
func (s *Session) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	clock := newClockWatch()
	defer clock.stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-s.kick:
	case <-clock.jumped:
	}
	return nil
}

func (w *clockWatch) stop() {
	clock.Lock()
	delete(clock.watchers, w)
	clock.Unlock()
}

type goAwayErr struct{ g protocol.GoAway }

func (e goAwayErr) Error() string { return "server closed the connection: " + e.g.Reason }

var (
	errDead    = errors.New("no traffic from the server within the heartbeat deadline")
	errProbe   = errors.New("no answer from the server to a probe")
	errGap     = errors.New("missed events (gap in positions); resuming")
	errWoke    = errors.New("the clock jumped (woke from sleep); reconnecting")
	errOffline = errors.New("the browser went offline")
)
