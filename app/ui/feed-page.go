package ui

import (
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

type phase int

const (
	phaseLoading phase = iota // asking the server who we are
	phaseSignIn               // not signed in
	phaseFeed                 // signed in: the feed
)

// feedPage is the app's only page: sign-in, then one feed. It holds the
// state the session gives it and what the reader does with it (each part
// in the file of its concept: sign-in.go, session-check.go, sign-out.go,
// held-back.go, post-actions.go, undo-delete.go, connection-*.go, ...).
// Its children get values and small interfaces (what they may ask of the
// page), never the page itself; the compose box, the feed list and the
// dialogs keep their own input state. Every method runs on the UI
// goroutine.
type feedPage struct {
	app.Compo

	feed  string
	phase phase
	user  protocol.User

	joining bool
	joinErr string
	// Accounts (account.go, account-panel.go): an error of the panel, and
	// the one-time code made for another device while it holds.
	accountErr      string
	deviceCode      string
	deviceCodeUntil time.Time

	status   session.Status
	online   bool
	pendingN int
	posts    []postView
	presence protocol.Presence
	rejected []session.Rejected

	// The connection details panel: whether it is open, the last error
	// the session reported (kept after it reconnects) and the feed's
	// position.
	detailsOpen bool
	techOpen    bool // its "Technical details" fold (connection-details.go)
	lastErr     string
	lastErrAt   time.Time
	feedPos     uint64
	feedSynced  bool
	cachedN     int

	// Posts held back while the reader is away from the top (held-back.go).
	baseline bool
	known    map[string]bool
	fresh    map[string]time.Time
	newCount int
	atTop    bool

	editing   string
	editDraft string
	// deleting holds the posts deleted by the user whose delete can still
	// be undone, by post id (undo-delete.go).
	deleting map[string]pendingDelete
	// unfoldedPosts holds the long posts the reader unfolded (fold.go)
	// and pickerPost the post whose reaction picker is open
	// (reaction-picker.go), each as "feed/post id".
	unfoldedPosts map[string]bool
	pickerPost    string

	// The feed list: the feeds this person opened, as stored and as shown.
	joined joinedFeeds
	feeds  []feedItem

	// Older history: a page being loaded, and where it stands.
	loadingOlder bool
	history      historyState

	now             time.Time
	updateAvailable bool
	updates         *updateWatch // update-check.go
	lastCheck       time.Time    // session-check.go
	leave           leaveState   // signing out (sign-out.go)
	announce        announcer    // new posts, for screen readers (announce.go)
	news            whatsNew     // what is new to the reader: whats-new.go

	// first is the state the server prerendered the page with, shown
	// until the session has the feed (first-paint.go).
	first *firstPaint

	ctx       app.Context // the page's own, for work that outlives an element
	scheduled *atomic.Bool
	done      chan struct{}
	scrollFn  app.Func // held-back.go
	hideFn    app.Func // undo-delete.go
}

func newFeedPage() *feedPage {
	return &feedPage{
		feed:     protocol.DefaultFeed,
		online:   true,
		atTop:    true,
		known:    map[string]bool{},
		fresh:    map[string]time.Time{},
		deleting: map[string]pendingDelete{},
	}
}

// OnNav runs on the server while prerendering and in the browser on each
// navigation.
func (p *feedPage) OnNav(ctx app.Context) {
	feed, ok := FeedFromPath(ctx.Page().URL().Path)
	if !ok {
		feed = protocol.DefaultFeed
	}
	ctx.Page().SetTitle(pageTitle(feed))
	if feed == p.feed {
		return
	}
	p.feed = feed
	p.baseline, p.editing = false, ""
	p.history = historyState{}
	clear(p.known)
	if p.phase == phaseFeed && app.IsClient {
		app.Window().Call("scrollTo", 0, 0)
		p.showFeed(cl.start(p.user, feed))
		p.sync(ctx)
	}
}

// showFeed lists the feed shown (if there is room) and has the session
// follow the list.
func (p *feedPage) showFeed(s *session.Session) {
	if p.joined.add(p.feed) == nil {
		p.saveFeedList()
	}
	p.followFeeds(s)
}

func pageTitle(feed string) string {
	if feed == protocol.DefaultFeed {
		return "Livefeed"
	}
	return "#" + feed + " · Livefeed"
}

func (p *feedPage) OnMount(ctx app.Context) {
	if feed, ok := FeedFromPath(ctx.Page().URL().Path); ok {
		p.feed = feed
	}
	prerendered.restoreScroll() // takeover.go
	p.ctx = ctx
	p.online = navigatorOnline()
	p.now = time.Now()
	p.done = make(chan struct{})
	p.scheduled = &atomic.Bool{}
	scheduled := p.scheduled
	cl.setListener(func() {
		if scheduled.CompareAndSwap(false, true) {
			ctx.Dispatch(func(ctx app.Context) {
				scheduled.Store(false)
				p.sync(ctx)
			})
		}
	})
	p.watchScroll(ctx)    // held-back.go
	p.watchPageHide()     // undo-delete.go
	p.watchOtherTabs(ctx) // sign-out.go
	p.tick(ctx)
	p.watchUpdates(ctx)
	p.watchWhatsNew(ctx)
	p.resume(ctx) // sign-in.go
}

func (p *feedPage) OnDismount() {
	cl.setListener(nil)
	p.unwatchUpdates()
	p.unwatchOtherTabs()
	p.unwatchWhatsNew()
	p.unwatchScroll()
	p.unwatchPageHide()
	if p.done != nil {
		close(p.done)
		p.done = nil
	}
}

// OnAppUpdate is called by go-app when a new version has been installed.
func (p *feedPage) OnAppUpdate(ctx app.Context) { p.appUpdated(ctx) }

// tick refreshes relative times and the reconnect countdown.
func (p *feedPage) tick(ctx app.Context) {
	done := p.done
	ctx.Async(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		n := 0
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			n++
			ctx.Dispatch(func(ctx app.Context) {
				now := time.Now()
				if p.detailsOpen {
					// Some counters (duplicates) change without an
					// update: refresh them while they are on screen.
					if s := cl.session(); s != nil && p.phase == phaseFeed {
						p.setStatus(s.Status(), now)
					}
					p.now = now
					return
				}
				if p.status.State == session.StateReconnecting || n%15 == 0 {
					p.now = now
					return
				}
				ctx.PreventUpdate()
			})
		}
	})
}

// sync copies the session's state into the page.
func (p *feedPage) sync(ctx app.Context) {
	s := cl.session()
	if s == nil || p.phase != phaseFeed {
		return
	}
	p.sendDeletes(false)
	now := time.Now()
	p.now = now
	prev := p.status.State
	p.setStatus(s.Status(), now)
	if p.status.State == session.StateSignedOut {
		p.signedOut(ctx, sessionEndedMsg) // the server ended it: no reconnecting
		return
	}
	p.online = navigatorOnline()
	if u := p.status.User; u.ID != "" && u != p.user {
		p.user = u
		saveCachedUser(u)
	}
	p.updateOnStatus(ctx, prev)
	f := s.Feed(p.feed)
	p.feedPos, p.feedSynced, p.cachedN = f.Pos, f.Synced, len(f.Posts)
	pending := s.Pending()
	p.checkWhileFailing(ctx, now) // session-check.go
	reset := cl.takeReset(p.feed)
	f = p.shownFeed(f, reset)            // first-paint.go
	p.holdBack(ctx, f.Posts, reset, now) // held-back.go
	p.noteArrivals(f.Posts, now)         // announce.go
	p.posts = buildPosts(f, pending, p.user, p.heldBack, p.deletingIn(p.feed))
	p.seeWhatsNew(ctx, f, reset)
	p.history = p.historyOf(f.Begins, s.HistoryWaiting(p.feed))
	p.feeds = p.feedItems(s)
	p.presence = s.Presence(p.feed)
	p.rejected = s.Rejected()
	p.pendingN = 0
	for _, q := range pending {
		if q.AckedPos == 0 {
			p.pendingN++
		}
	}
	if p.editing != "" && !p.hasPost(p.editing) {
		p.editing, p.editDraft = "", "" // deleted meanwhile
	}
	p.leaveWhenSent(ctx) // sign-out.go
}

func (p *feedPage) Render() app.UI {
	signedIn := p.phase == phaseFeed
	return p.firstPaintRoot(app.Div().Class("app")).Body(
		skipToCompose(signedIn), // skip-link.go
		&appHeader{Actor: p, Feed: p.feed, User: p.user, SignedIn: signedIn, Connection: p.indicator()},
		app.Div().Class(appBodyClass(signedIn)).Body(
			app.If(signedIn, func() app.UI { return &feedNav{Actor: p, Items: p.feeds} }),
			p.renderMain(signedIn),
		),
		p.leaveDialog(),  // sign-out.go
		p.announcement(), // announce.go
	)
}

// appBodyClass lays the feed list beside the feed (wide screens) only when
// there is a list: the sign-in page is one column.
func appBodyClass(signedIn bool) string {
	if signedIn {
		return "app-body app-body-nav"
	}
	return "app-body"
}

func (p *feedPage) renderMain(signedIn bool) app.UI {
	return app.Main().ID("main").Class("column").Body(
		app.If(p.updateAvailable, func() app.UI { return &updateBanner{Actor: p} }),
		app.If(p.phase == phaseLoading, func() app.UI {
			return app.Div().Class("loading").Aria("busy", true).Body(
				app.Div().Class("spinner"),
				app.P().Text("Loading…"),
			)
		}),
		app.If(p.phase == phaseSignIn, func() app.UI {
			return &signIn{Actor: p, Busy: p.joining, Error: p.joinErr}
		}),
		app.If(signedIn, func() app.UI {
			return app.Div().Class("feed").Body(
				newFeedIntro(p.feed, p.presence, p.status.State == session.StateLive && p.online),
				&mentionToggle{Actor: p, View: p.mentionView()},
				&rejectedList{Actor: p, Items: rejectedViews(p.rejected)},
				&accountPanel{ // account-panel.go
					Actor: p, User: p.user, Error: p.accountErr,
					Code: p.deviceCode, CodeUntil: p.deviceCodeUntil, Busy: p.joining,
				},
				&composeBox{Actor: p, User: p.user},
				&newPostsPill{Actor: p, Count: p.newCount},
				&postList{
					Actor: p, Posts: p.posts, Fresh: p.freshIDs(),
					Editing: p.editing, EditDraft: p.editDraft,
					Clock: p.now.Unix() / 15, AtTop: p.atTop, History: p.history,
				},
			)
		}),
	)
}
