package ui

import (
	"context"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// client owns the page's session: one per page load, shared by the feed
// pages the app navigates between. Its methods may be called from any
// goroutine; the UI learns about changes through the listener, which hops
// to the UI goroutine itself.
type client struct {
	mu       sync.Mutex
	user     protocol.User
	sess     *session.Session
	stop     context.CancelFunc
	listener func()
	resets   map[string]bool
}

// cl is the page's client.
var cl = &client{resets: map[string]bool{}}

// session returns the running session, or nil when signed out.
func (c *client) session() *session.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// currentUser returns the user the session runs for.
func (c *client) currentUser() protocol.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// setListener installs the function called after every change (nil
// removes it).
func (c *client) setListener(f func()) {
	c.mu.Lock()
	c.listener = f
	c.mu.Unlock()
}

func (c *client) changed() {
	c.mu.Lock()
	f := c.listener
	c.mu.Unlock()
	if f != nil {
		f()
	}
}

// takeReset reports (once) whether a feed's state was replaced by a
// snapshot since the last call: its posts are then not "new".
func (c *client) takeReset(feed string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.resets[feed]
	delete(c.resets, feed)
	return r
}

// start runs a session for u following feed; if one runs for u already it
// follows feed too.
func (c *client) start(u protocol.User, feed string) *session.Session {
	watchBrowser()
	c.mu.Lock()
	if c.sess != nil && c.user.ID == u.ID {
		s := c.sess
		c.mu.Unlock()
		s.Follow(feed)
		return s
	}
	c.stopLocked()
	c.user = u
	s := session.New(session.Config{
		URL:      wsURL(),
		Client:   "livefeed-web",
		Feeds:    []string{feed},
		Store:    newLocalStore(u.ID),
		OnUpdate: c.onUpdate,
		// WebSocket, or plain HTTP where a network blocks it; the rung
		// that worked is remembered in the store (localStorage).
		Transport: session.TransportAuto,
	})
	s.SetOnline(navigatorOnline())
	ctx, cancel := context.WithCancel(context.Background())
	c.sess, c.stop = s, cancel
	c.mu.Unlock()
	go c.run(ctx, s)
	return s
}

// run runs the session until ctx is done (Run returns when the session
// needs a newer app; it is started again after a pause).
func (c *client) run(ctx context.Context, s *session.Session) {
	for ctx.Err() == nil {
		started := time.Now()
		_ = s.Run(ctx)
		if ctx.Err() == nil && time.Since(started) < time.Second {
			time.Sleep(time.Second) // never spin
		}
	}
}

// stopLocked ends the running session for good (session.Close: when it
// returns, the session sends and stores nothing more). Called with mu held.
func (c *client) stopLocked() {
	if c.sess != nil {
		c.sess.Close()
	}
	if c.stop != nil {
		c.stop()
	}
	c.sess, c.stop = nil, nil
	c.user = protocol.User{}
	clear(c.resets)
}

// signOut ends the session, then removes everything Livefeed keeps in the
// browser's storage: the cached feeds, the outbox (whatever it still
// holds: the page asked first, see sign-out.go) and the cached sign-in
// (forget.go).
func (c *client) signOut() {
	c.mu.Lock()
	c.stopLocked()
	c.mu.Unlock()
	forgetAll()
	c.changed()
}

func (c *client) onUpdate(u session.Update) {
	if u.Kind == session.UpdateFeed {
		c.mu.Lock()
		if u.Event == nil {
			c.resets[u.Feed] = true
		}
		c.mu.Unlock()
	}
	c.changed()
}

// setOnline follows the browser's online/offline events (the session
// drops its connection when offline: see Session.SetOnline).
func (c *client) setOnline(online bool) {
	if s := c.session(); s != nil {
		s.SetOnline(online)
	}
	c.changed()
}

// retryNow skips the backoff wait when the session is waiting to
// reconnect (a kick while connected would be kept and skip the next wait).
func (c *client) retryNow() {
	if s := c.session(); s != nil && s.Status().State == session.StateReconnecting {
		s.RetryNow()
	}
}

// wake is for a page that may have been away (shown again, restored from
// the back-forward cache): a session waiting to reconnect tries at once,
// and a live one probes its connection, which may have died silently
// meanwhile (an answer within protocol.ProbeTimeout, or it reconnects).
func (c *client) wake() {
	s := c.session()
	if s == nil {
		return
	}
	if s.Status().State == session.StateLive {
		s.Probe()
		return
	}
	c.retryNow()
}

var watchOnce sync.Once

// watchBrowser listens to the window's online, offline, visibilitychange,
// pageshow and pagehide events, once per page. A page hiding may never
// come back (closed, reloaded, a phone's tab discarded), so the session
// writes its changed feeds at once, synchronously, instead of at its next
// flush (the outbox is always written at once).
func watchBrowser() {
	if !app.IsClient {
		return
	}
	watchOnce.Do(func() {
		win := app.Window()
		on := func(event string, f func(app.Value)) {
			fn := app.FuncOf(func(_ app.Value, args []app.Value) any {
				var ev app.Value = app.Undefined()
				if len(args) > 0 {
					ev = args[0]
				}
				f(ev)
				return nil
			})
			win.Call("addEventListener", event, fn)
		}
		on("online", func(app.Value) {
			go func() {
				cl.setOnline(true)
				cl.wake() // a connection kept through the change may be dead
			}()
		})
		on("offline", func(app.Value) { go cl.setOnline(false) })
		on("pageshow", func(ev app.Value) {
			if ev.Get("persisted").Truthy() {
				go cl.wake()
			}
		})
		on("pagehide", func(app.Value) { cl.flush() })
		app.Window().Get("document").Call("addEventListener", "visibilitychange", app.FuncOf(func(app.Value, []app.Value) any {
			if app.Window().Get("document").Get("visibilityState").String() == "visible" {
				go cl.wake()
			} else {
				cl.flush()
			}
			return nil
		}))
	})
}

// flush has the session write its changed feeds now.
func (c *client) flush() {
	if s := c.session(); s != nil {
		s.Flush()
	}
}

// navigatorOnline reports navigator.onLine (true outside a browser).
func navigatorOnline() bool {
	if !app.IsClient {
		return true
	}
	v := app.Window().Get("navigator").Get("onLine")
	return v.IsUndefined() || v.Truthy()
}

// wsURL is the WebSocket endpoint of the page's origin.
func wsURL() string {
	loc := app.Window().Get("location")
	scheme := "ws://"
	if loc.Get("protocol").String() == "https:" {
		scheme = "wss://"
	}
	return scheme + loc.Get("host").String() + "/ws"
}
