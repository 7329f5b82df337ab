package ui

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
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

// freshFor is how long a newly shown post keeps its highlight.
const freshFor = 2500 * time.Millisecond

// undoFor is how long a delete can be taken back: the post shows as
// deleted with an "Undo" button, and the delete goes into the outbox when
// the time is up (or at once when the page is hidden or the user signs out,
// so that a delete the person saw happen is never dropped).
const undoFor = 5 * time.Second

// topSlack is how far (CSS pixels) the window may be scrolled and still
// count as "at the top", where new posts appear in place.
const topSlack = 24

// feedPage is the app's only page: sign-in, then one feed. It holds all UI
// state; its children render props and call its methods. Every method runs
// on the UI goroutine.
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

	baseline bool
	known    map[string]bool
	fresh    map[string]time.Time
	newCount int
	atTop    bool

	editing   string
	editDraft string
	// deleting holds the posts deleted by the user whose delete can still
	// be undone, by post id.
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
	lastCheck       time.Time
	leave           leaveState // signing out (sign-out.go)
	announce        announcer  // new posts, for screen readers (announce.go)
	news            whatsNew   // what is new to the reader: whats-new.go

	ctx       app.Context // the page's own, for work that outlives an element
	scheduled *atomic.Bool
	done      chan struct{}
	scrollFn  app.Func
	hideFn    app.Func
}

// pendingDelete is a delete waiting out its undo window.
type pendingDelete struct {
	feed  string
	final time.Time
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
	p.ctx = ctx
	p.online = navigatorOnline()
	p.now = time.Now()
	p.atTop = scrollY() < topSlack
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
	p.scrollFn = app.FuncOf(func(app.Value, []app.Value) any {
		top := scrollY() < topSlack
		if top != p.atTop {
			ctx.Dispatch(func(ctx app.Context) { p.setAtTop(ctx, top) })
		}
		return nil
	})
	app.Window().Call("addEventListener", "scroll", p.scrollFn, map[string]any{"passive": true})
	// The page may never come back (closed, navigated away): deletes still
	// in their undo window go into the outbox now. The outbox is written
	// synchronously, so they survive the page.
	p.hideFn = app.FuncOf(func(app.Value, []app.Value) any {
		p.sendDeletes(true)
		return nil
	})
	app.Window().Call("addEventListener", "pagehide", p.hideFn)
	p.watchOtherTabs(ctx)
	p.tick(ctx)
	p.watchUpdates(ctx)
	p.watchWhatsNew(ctx)

	if cl.session() != nil {
		p.user = cl.currentUser()
		p.phase = phaseFeed
		p.loadFeedList()
		p.showFeed(cl.start(p.user, p.feed))
		p.sync(ctx)
		return
	}
	if u, ok := loadCachedUser(); ok {
		// Open the cached feed at once, then check with the server.
		p.startSession(ctx, u)
		ctx.Async(func() {
			res, err := fetchAPI(methodGet, "/api/session", nil)
			ctx.Dispatch(func(ctx app.Context) { p.verified(ctx, res, err) })
		})
		return
	}
	p.phase = phaseLoading
	ctx.Async(func() {
		res, err := whoAmI()
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil && res.Status == statusOK {
				if u, ok := decodeUser(res.Body); ok {
					saveCachedUser(u)
					p.startSession(ctx, u)
					return
				}
			}
			p.phase = phaseSignIn
			if err != nil {
				p.joinErr = "Can't reach Livefeed right now. Check your connection, then join."
			}
		})
	})
}

func (p *feedPage) OnDismount() {
	cl.setListener(nil)
	p.unwatchUpdates()
	p.unwatchOtherTabs()
	p.unwatchWhatsNew()
	if p.scrollFn != nil {
		app.Window().Call("removeEventListener", "scroll", p.scrollFn)
		p.scrollFn.Release()
		p.scrollFn = nil
	}
	if p.hideFn != nil {
		app.Window().Call("removeEventListener", "pagehide", p.hideFn)
		p.hideFn.Release()
		p.hideFn = nil
	}
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

// verified handles the server's answer about a cached sign-in.
func (p *feedPage) verified(ctx app.Context, res apiResponse, err error) {
	if err != nil || res.Status >= 500 {
		return // offline or server trouble: keep the cached session
	}
	if res.Status == statusUnauthorized {
		p.signedOut(ctx, sessionEndedMsg)
		return
	}
	if u, ok := decodeUser(res.Body); ok && u != p.user {
		saveCachedUser(u)
		if u.ID != p.user.ID {
			p.startSession(ctx, u)
		} else {
			p.user = u
		}
	}
}

func decodeUser(b []byte) (protocol.User, bool) {
	var v struct {
		User protocol.User `json:"user"`
	}
	if json.Unmarshal(b, &v) != nil || v.User.ID == "" {
		return protocol.User{}, false
	}
	return v.User, true
}

func (p *feedPage) startSession(ctx app.Context, u protocol.User) {
	p.user, p.phase, p.joinErr, p.joining = u, phaseFeed, "", false
	p.baseline, p.editing = false, ""
	clear(p.known)
	p.loadFeedList()
	p.showFeed(cl.start(u, p.feed))
	p.sync(ctx)
}

func (p *feedPage) signedOut(ctx app.Context, msg string) {
	msg = p.leaving(msg) // sign-out.go: what was not sent is dropped, and said
	cl.signOut()
	clearCachedUser()
	p.user, p.phase, p.joinErr = protocol.User{}, phaseSignIn, msg
	p.posts, p.presence, p.rejected, p.newCount = nil, protocol.Presence{}, nil, 0
	p.status = session.Status{}
	p.detailsOpen, p.lastErr, p.lastErrAt = false, "", time.Time{}
	p.feedPos, p.feedSynced, p.cachedN = 0, false, 0
	p.joined, p.feeds = joinedFeeds{}, nil
	p.accountErr, p.deviceCode = "", ""
}

// join signs in with a display name.
func (p *feedPage) join(ctx app.Context, name string) {
	if p.joining {
		return
	}
	p.joining, p.joinErr = true, ""
	ctx.Async(func() {
		res, err := fetchAPI(methodPost, "/api/session", map[string]string{"name": name})
		ctx.Dispatch(func(ctx app.Context) {
			p.joining = false
			switch {
			case err != nil:
				p.joinErr = "Can't reach Livefeed right now. Check your connection and try again."
			case res.Status == statusOK:
				u, ok := decodeUser(res.Body)
				if !ok {
					p.joinErr = "The server sent an unexpected answer. Please try again."
					return
				}
				saveCachedUser(u)
				p.startSession(ctx, u)
			default:
				p.joinErr = apiErrorText(res) // messages.go
			}
		})
	})
}

// signOut is the header's Sign out: it asks first if changes are not sent
// yet (sign-out.go).
func (p *feedPage) signOut(ctx app.Context) { p.askSignOut(ctx) }

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
	// A browser cannot see why a WebSocket upgrade failed: while
	// reconnecting keeps failing, ask the API whether the sign-in still
	// holds (the server may have forgotten it).
	if p.status.State == session.StateReconnecting && p.status.Attempt >= 3 && now.Sub(p.lastCheck) > 30*time.Second {
		p.lastCheck = now
		ctx.Async(func() {
			res, err := fetchAPI(methodGet, "/api/session", nil)
			ctx.Dispatch(func(ctx app.Context) { p.verified(ctx, res, err) })
		})
	}
	reset := cl.takeReset(p.feed)

	if !p.baseline || reset {
		clear(p.known)
		for _, post := range f.Posts {
			p.known[post.ID] = true
		}
		p.baseline = true
	} else {
		// Where the reader is now, not as the last scroll event said: a
		// post may arrive before the event of the scroll just made.
		if app.IsClient {
			p.atTop = scrollY() < topSlack
		}
		reveal := p.atTop && p.editing == ""
		freshened := false
		for _, post := range f.Posts {
			if p.known[post.ID] {
				continue
			}
			if reveal || post.Author.ID == p.user.ID {
				p.known[post.ID] = true
				p.fresh[post.ID] = now
				freshened = true
			}
		}
		if freshened {
			p.clearFreshLater(ctx)
		}
	}
	p.noteArrivals(f.Posts, now) // announce.go
	p.newCount = 0
	for _, post := range f.Posts {
		if !p.known[post.ID] {
			p.newCount++
		}
	}
	p.posts = buildPosts(f, pending, p.user, func(id string) bool { return !p.known[id] }, p.deletingIn(p.feed))
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

// setStatus takes a new status from the session, remembering its last
// error and when it last happened (the session clears it once connected
// again).
func (p *feedPage) setStatus(st session.Status, now time.Time) {
	if st.LastError != "" && (p.status.LastError == "" || st.LastError != p.lastErr || st.Attempt != p.status.Attempt) {
		p.lastErr, p.lastErrAt = st.LastError, now
	}
	p.status = st
}

// toggleDetails opens or closes the connection details.
func (p *feedPage) toggleDetails(ctx app.Context) {
	p.detailsOpen = !p.detailsOpen
	if p.detailsOpen {
		p.sync(ctx)
	}
}

// closeDetails closes the connection details and gives the focus back to
// their toggle.
func (p *feedPage) closeDetails(ctx app.Context) {
	p.detailsOpen = false
	// The toggle stays on the page; the panel (which may hold the focus)
	// goes with the next update.
	if el := app.Window().GetElementByID(detailsToggleID); el.Truthy() {
		el.Call("focus")
	}
}

func (p *feedPage) hasPost(id string) bool {
	for _, v := range p.posts {
		if v.ID == id {
			return true
		}
	}
	return false
}

func (p *feedPage) clearFreshLater(ctx app.Context) {
	ctx.After(freshFor+100*time.Millisecond, func(ctx app.Context) {
		now := time.Now()
		for id, t := range p.fresh {
			if now.Sub(t) >= freshFor {
				delete(p.fresh, id)
			}
		}
	})
}

func (p *feedPage) setAtTop(ctx app.Context, top bool) {
	p.atTop = top
	p.seenAtTop()
	if top && p.newCount > 0 && p.editing == "" {
		p.sync(ctx) // reveals what was held back
	}
}

// showNew reveals the held-back posts and scrolls to the top.
func (p *feedPage) showNew(ctx app.Context) {
	// Scroll first (not in a ctx.Defer: the pill that was clicked is gone
	// after the update, and Defer skips functions of unmounted elements).
	app.Window().Call("scrollTo", 0, 0)
	p.atTop = true
	p.sync(ctx)
}

// post queues a new post; it returns the reason when the text is refused.
func (p *feedPage) post(ctx app.Context, text string) string {
	s := cl.session()
	if s == nil {
		return "You are signed out."
	}
	if _, err := s.Post(p.feed, text); err != nil {
		return errText(err)
	}
	p.sync(ctx)
	return ""
}

func (p *feedPage) startEdit(id, text string) {
	p.editing, p.editDraft = id, text
}

func (p *feedPage) setEditDraft(text string) { p.editDraft = text; p.typing() }

func (p *feedPage) cancelEdit() { p.editing, p.editDraft = "", "" }

func (p *feedPage) saveEdit(ctx app.Context) string {
	s := cl.session()
	if s == nil || p.editing == "" {
		return ""
	}
	for _, v := range p.posts {
		if v.ID == p.editing && v.Text == strings.TrimSpace(p.editDraft) {
			p.cancelEdit() // unchanged
			return ""
		}
	}
	if _, err := s.Edit(p.feed, p.editing, p.editDraft); err != nil {
		return errText(err)
	}
	p.cancelEdit()
	p.sync(ctx)
	return ""
}

// deletePost starts the undo window of a delete: the post shows as
// deleted, and the delete is sent when the window ends.
func (p *feedPage) deletePost(ctx app.Context, id string) {
	if cl.session() == nil || id == "" {
		return
	}
	if p.editing == id {
		p.cancelEdit()
	}
	p.deleting[id] = pendingDelete{feed: p.feed, final: time.Now().Add(undoFor)}
	// Not ctx.After: ctx is the Delete button's, gone with this update, and
	// go-app skips functions of unmounted elements. The listener syncs the
	// page, which sends the deletes whose window has ended.
	time.AfterFunc(undoFor, cl.changed)
	p.sync(ctx)
}

// undoDelete takes back a delete still in its undo window.
func (p *feedPage) undoDelete(ctx app.Context, id string) {
	delete(p.deleting, id)
	p.sync(ctx)
}

// sendDeletes puts into the outbox the deletes whose undo window has ended
// (all of them if all is set).
func (p *feedPage) sendDeletes(all bool) {
	s := cl.session()
	now := time.Now()
	for id, d := range p.deleting {
		if !all && now.Before(d.final) {
			continue
		}
		delete(p.deleting, id)
		if s != nil && slices.ContainsFunc(s.Feed(d.feed).Posts, func(x protocol.Post) bool { return x.ID == id }) {
			_, _ = s.Delete(d.feed, id) // refused at once only if malformed
		}
	}
}

// deletingIn returns the deletes of feed still in their undo window.
func (p *feedPage) deletingIn(feed string) map[string]time.Time {
	var out map[string]time.Time
	for id, d := range p.deleting {
		if d.feed == feed {
			if out == nil {
				out = map[string]time.Time{}
			}
			out[id] = d.final
		}
	}
	return out
}

func (p *feedPage) react(ctx app.Context, id, emoji string) {
	if s := cl.session(); s != nil {
		if _, err := s.React(p.feed, id, emoji); err == nil {
			p.sync(ctx)
		}
	}
}

func (p *feedPage) dismiss(ctx app.Context, op string) {
	if s := cl.session(); s != nil {
		s.Dismiss(op)
		p.sync(ctx)
	}
}

func (p *feedPage) retryNow(ctx app.Context) {
	cl.retryNow()
}

// indicator describes the connection indicator.
func (p *feedPage) indicator() connectionView {
	v := connectionView{Pending: p.pendingN, DetailsOpen: p.detailsOpen}
	if p.detailsOpen {
		v.Details = p.diagnostics()
	}
	st := p.status
	switch {
	case st.State == session.StateUpdateRequired:
		v.Kind, v.Label = "update", "Update required"
		v.Hint = "This version of Livefeed is too old for the server."
		v.CanUpdate = true
	case !p.online || st.State == session.StateOffline:
		v.Kind, v.Label = "offline", "Offline"
		if p.pendingN > 0 {
			v.Hint = plural(p.pendingN, "change", "changes") + " will be sent when you're back online"
		} else {
			v.Hint = "Showing saved posts; you can keep writing"
		}
	case st.State == session.StateLive:
		v.Kind, v.Label = "live", "Live"
	case st.State == session.StateReconnecting:
		v.Kind, v.CanRetry = "reconnecting", true
		if wait := st.NextTry.Sub(p.now); !st.NextTry.IsZero() && wait > 500*time.Millisecond {
			v.Label = "Reconnecting — retrying in " + fmtSeconds(wait)
		} else {
			v.Label = "Reconnecting…"
		}
	default:
		v.Kind, v.Label = "connecting", "Connecting…"
	}
	return v
}

func fmtSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s) + " s"
}

func scrollY() float64 {
	if !app.IsClient {
		return 0
	}
	return app.Window().Get("scrollY").Float()
}

func (p *feedPage) Render() app.UI {
	signedIn := p.phase == phaseFeed
	return app.Div().Class("app").Body(
		skipToCompose(signedIn), // skip-link.go
		newAppHeader(p, p.feed, p.user, signedIn, p.indicator()),
		app.Div().Class(appBodyClass(signedIn)).Body(
			app.If(signedIn, func() app.UI { return newFeedNav(p, p.feeds) }),
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
		app.If(p.updateAvailable, func() app.UI { return newUpdateBanner(p) }),
		app.If(p.phase == phaseLoading, func() app.UI {
			return app.Div().Class("loading").Aria("busy", true).Body(
				app.Div().Class("spinner"),
				app.P().Text("Loading…"),
			)
		}),
		app.If(p.phase == phaseSignIn, func() app.UI {
			return newSignIn(p, p.joining, p.joinErr)
		}),
		app.If(signedIn, func() app.UI {
			return app.Div().Class("feed").Body(
				newFeedIntro(p.feed, p.presence, p.status.State == session.StateLive && p.online),
				newMentionToggle(p, p.mentionView()),
				newRejectedList(p, rejectedViews(p.rejected)),
				newAccountPanel(p, p.user, p.accountErr, p.deviceCode, p.deviceCodeUntil, p.joining), // account-panel.go
				newComposeBox(p, p.user),
				newNewPostsPill(p, p.newCount),
				newPostList(p, p.posts, p.freshIDs(), p.editing, p.editDraft, p.now.Unix()/15, p.atTop, p.history),
			)
		}),
	)
}

func (p *feedPage) freshIDs() []string {
	var ids []string
	for id := range p.fresh {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
