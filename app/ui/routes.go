// Package ui is Livefeed's browser app: go-app components for signing in and
// working on a feed together, the browser glue for the session (localStorage,
// online/offline and visibility events), and, for the server, the configured
// go-app handler that serves the PWA (see NewHTTPHandler).
//
// The app has one page, feedPage (feed-page.go), which holds the session's
// state; each of its concerns is in the file of its concept. Its children
// are components given plain values and a small interface of what they may
// ask of the page (an Actor), never the page itself, and they keep their
// own input state (a draft, a menu open). go-app reuses a component by
// position and keeps the event handlers of its first render (see
// handlers_test.go), so every handler is a method that reads its target
// from the component's fields when the event fires.
package ui

import (
	"strings"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// FeedPathPrefix is the path prefix of a named feed's page: /f/{name}.
const FeedPathPrefix = "/f/"

// FeedRoutePattern is the route pattern of named feeds.
var FeedRoutePattern = "^" + FeedPathPrefix + strings.TrimPrefix(protocol.FeedPattern, "^")

var routesOnce sync.Once

// Routes registers the app's pages with go-app: "/" shows feed
// protocol.DefaultFeed and "/f/{name}" the named feed. Both the wasm main and
// the server call it (the server prerenders these paths and answers 404 for
// any other). Calling it more than once is harmless.
func Routes() {
	routesOnce.Do(func() {
		app.Route("/", func() app.Composer { return newFeedPage() })
		app.RouteWithRegexp(FeedRoutePattern, func() app.Composer { return newFeedPage() })
	})
}

// FeedFromPath returns the feed a page path shows, or false if the path is
// not a feed page.
func FeedFromPath(path string) (string, bool) {
	if path == "/" || path == "" {
		return protocol.DefaultFeed, true
	}
	name, ok := strings.CutPrefix(path, FeedPathPrefix)
	if !ok || !protocol.ValidFeed(name) {
		return "", false
	}
	return name, true
}

// FeedPath returns the page path of a feed.
func FeedPath(feed string) string {
	if feed == protocol.DefaultFeed {
		return "/"
	}
	return FeedPathPrefix + feed
}

// FeedNameRule says in words what protocol.ValidFeed accepts
// (protocol.FeedPattern); TestFeedNameRule checks the two agree.
// (The word joiners, U+2060, keep "a–z" and "0–9" on one line.)
const FeedNameRule = "A feed name is 1 to 32 characters long: lower-case letters a\u2060–\u2060z, digits 0\u2060–\u20609, " +
	"hyphens (-) and underscores (_), beginning with a letter or a digit. " +
	"A feed's address is /f/ followed by its name, for example /f/team-1."
