//go:build !js

package ui

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// FirstPaintFunc tells who a page request comes from (its session cookie)
// and the feed's newest posts as that reader sees them: at most maxPosts,
// at most maxBytes encoded as a snapshot, and whether they reach back to
// the feed's first post. ok is false when no one is signed in (or the
// sessions cannot be read): the page is then prerendered for no one.
type FirstPaintFunc func(r *http.Request, feed string, maxPosts, maxBytes int) (u protocol.User, snap protocol.Snapshot, begins, ok bool)

// WithFirstPaint has feed pages prerendered for their reader with what f
// gives (first-paint.go): the reader's name, the compose box and the
// feed's newest FirstPaintPosts posts, on screen before the wasm starts.
// Without it every page is prerendered for no one (the app then shows its
// loading state until it has asked the server).
func WithFirstPaint(f FirstPaintFunc) Option {
	return func(o *options) { o.firstPaint = f }
}

// firstPaintParam is the query parameter through which servePage hands a
// request's first paint to the page go-app prerenders for it: go-app
// gives a component the request's URL and nothing else of the request.
// Its value is a random key into firstPaints, valid while the request is
// served; servePage sets or removes it on every page request, so a value
// in the request's own URL never reaches the page.
const firstPaintParam = "livefeed-first-paint"

// firstPaints holds the first paints of the pages being prerendered, by
// key.
var firstPaints sync.Map // string -> *firstPaint

// withFirstPaint returns r for go-app's handler: for a signed-in reader
// of a feed page (one who has not signed out in this browser meanwhile), with the key of its first paint in the URL (and release
// forgets it once the page is prerendered), otherwise without the
// parameter. personal reports whether the page is the reader's own.
func (o *options) withFirstPaint(r *http.Request) (r2 *http.Request, personal bool, release func()) {
	release = func() {}
	q := r.URL.Query()
	had := q.Has(firstPaintParam)
	q.Del(firstPaintParam)
	var key string
	if feed, ok := FeedFromPath(r.URL.Path); ok && o.firstPaint != nil && r.Method == http.MethodGet && !signOutPendingIn(r) {
		if u, snap, begins, ok := o.firstPaint(r, feed, FirstPaintPosts, FirstPaintBytes); ok {
			if len(snap.Posts) > FirstPaintPosts { // whatever f gave
				snap.Posts, begins = snap.Posts[:FirstPaintPosts], false
			}
			var b [16]byte
			rand.Read(b[:])
			key = hex.EncodeToString(b[:])
			firstPaints.Store(key, &firstPaint{User: u, Snap: snap, Begins: begins, Now: time.Now().UnixMilli()})
			release = func() { firstPaints.Delete(key) }
			q.Set(firstPaintParam, key)
		}
	}
	if key == "" && !had {
		return r, false, release
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	r2 = r.Clone(r.Context())
	r2.URL = &u
	return r2, key != "", release
}

// signOutPendingIn reports whether the browser signed out without the
// server hearing of it yet (SignOutPendingCookie, forget.go): its session
// cookie is still good, but nobody is signed in there.
func signOutPendingIn(r *http.Request) bool {
	_, err := r.Cookie(SignOutPendingCookie)
	return err == nil
}

// takeFirstPaint returns the first paint handed to the page at u (on the
// server, while prerendering).
func takeFirstPaint(u *url.URL) (*firstPaint, bool) {
	key := u.Query().Get(firstPaintParam)
	if key == "" {
		return nil, false
	}
	v, ok := firstPaints.LoadAndDelete(key)
	if !ok {
		return nil, false
	}
	return v.(*firstPaint), true
}

// OnPreRender prerenders the page (on the server) with its reader's first
// paint, if servePage has one for it.
func (p *feedPage) OnPreRender(ctx app.Context) {
	if fp, ok := takeFirstPaint(ctx.Page().URL()); ok {
		p.showFirstPaint(fp, time.UnixMilli(fp.Now))
	}
}
