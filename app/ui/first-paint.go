package ui

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// The first paint: a feed page the server prerenders for the signed-in
// reader (their name, the compose box and the feed's newest posts, from
// the node's own view; see prerender.go), so that the posts are on screen
// before the wasm has even been downloaded. The page also carries the same
// state for the app (firstPaintAttr), which starts from it: its first
// render is the page already on screen, so taking over changes nothing the
// reader sees (takeover.go carries over what they typed and where they
// scrolled). The app shows the first paint's posts until its session has
// the feed, or while the session's cached copy of the feed is older.

// FirstPaintPosts is how many of a feed's newest posts a prerendered page
// shows at most: more than a screen, fewer than the list's first page
// (listPage), so that the app's first render shows exactly them.
const FirstPaintPosts = 20

// FirstPaintBytes bounds the first paint's posts, encoded as in a snapshot
// (a feed of long posts, or of posts with many reactions, shows fewer).
// The page holds them twice, as HTML and as the app's state (base64 JSON):
// a feed page stays under 4 times this plus 40 KiB (TestFirstPaintPageSize;
// 73 KB at most there, 40 KB for 20 posts of 100 bytes).
const FirstPaintBytes = 24 << 10

// firstPaintAttr is the attribute of the prerendered page's root that
// holds its firstPaint, base64 (its alphabet needs no escaping in an
// attribute: see attr.go) of JSON.
const firstPaintAttr = "data-first-paint"

// firstPaint is what a feed page was prerendered with.
type firstPaint struct {
	User protocol.User `json:"user"`
	// Snap is the feed's newest posts, newest first, and the feed's
	// position they are at.
	Snap protocol.Snapshot `json:"snap"`
	// Begins: Snap reaches back to the feed's first post.
	Begins bool `json:"begins,omitempty"`
	// Now is the server's clock when it rendered the page (Unix ms): the
	// app renders relative times from the same instant at first.
	Now int64 `json:"now"`
}

// feed is the first paint as the session would hold it.
func (fp *firstPaint) feed() session.Feed {
	posts := slices.Clone(fp.Snap.Posts)
	slices.Reverse(posts)
	return session.Feed{Name: fp.Snap.Feed, Pos: fp.Snap.Pos, Posts: posts, Begins: fp.Begins}
}

func (fp *firstPaint) encode() string {
	b, _ := json.Marshal(fp)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeFirstPaint(s string) (*firstPaint, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	var fp firstPaint
	if json.Unmarshal(b, &fp) != nil || fp.User.ID == "" || !protocol.ValidFeed(fp.Snap.Feed) {
		return nil, false
	}
	return &fp, true
}

// readFirstPaint returns the state the page on screen was prerendered with
// for feed, if it was (in the browser, before the app replaces the
// prerendered elements).
func readFirstPaint(feed string) (*firstPaint, bool) {
	if !app.IsClient {
		return nil, false
	}
	el := app.Window().Get("document").Call("querySelector", "["+firstPaintAttr+"]")
	if !el.Truthy() {
		return nil, false
	}
	fp, ok := decodeFirstPaint(el.Call("getAttribute", firstPaintAttr).String())
	if !ok || fp.Snap.Feed != feed {
		return nil, false
	}
	return fp, true
}

// OnInit starts the app (in the browser) from the prerendered page's
// state, before its first render.
func (p *feedPage) OnInit() {
	if !app.IsClient {
		return
	}
	feed, ok := FeedFromPath(app.Window().URL().Path)
	if !ok {
		return
	}
	p.feed = feed
	captureTakeover() // takeover.go
	if signOutPending() {
		return // the server is told first (whoAmI); nobody is signed in here
	}
	if fp, ok := readFirstPaint(feed); ok {
		p.showFirstPaint(fp, time.UnixMilli(fp.Now))
	}
}

// showFirstPaint shows fp as the page's state: the same on the server,
// which renders it, and in the browser, whose first render must be the
// page already on screen.
func (p *feedPage) showFirstPaint(fp *firstPaint, now time.Time) {
	p.first = fp
	p.feed = fp.Snap.Feed
	p.user, p.phase, p.now = fp.User, phaseFeed, now
	f := fp.feed()
	p.posts = buildPosts(f, nil, p.user, nil, nil)
	p.feeds = []feedItem{{Name: p.feed, Current: true}}
	p.history = p.historyOf(f.Begins, false)
	// The mentions toggle is there at once: the server takes the browser
	// for one with notifications, as nearly all are (the app knows).
	p.news.mentions.available = true
	if app.IsClient {
		p.news.mentions.permission = notificationPermission()
		p.news.mentions.available = p.news.mentions.permission != ""
	}
}

// shownFeed is the feed the page shows: the session's f, or the first
// paint's while the session has no copy of the feed as new (none yet, or
// an older one cached). The first paint is dropped for good once the
// session's copy has caught up with it, or was replaced by a snapshot
// (reset: the session's copy is then the server's current one, whatever
// its position, as after a reset log).
func (p *feedPage) shownFeed(f session.Feed, reset bool) session.Feed {
	fp := p.first
	if fp == nil {
		return f
	}
	if fp.Snap.Feed != p.feed || reset || f.Pos >= fp.Snap.Pos {
		p.first = nil
		return f
	}
	return fp.feed()
}

// firstPaintRoot adds the first paint's state to the prerendered page's
// root element (on the server only: the app's own render never has it, so
// a page the app renders is never taken for a prerendered one).
func (p *feedPage) firstPaintRoot(root app.HTMLDiv) app.HTMLDiv {
	if app.IsServer && p.first != nil {
		return root.Attr(firstPaintAttr, p.first.encode())
	}
	return root
}
