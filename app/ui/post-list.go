package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// listPage is how many posts the list renders at first, and how many more
// each time the reader comes near its end (listMore): a feed of 500 posts
// costs what 30 cost until someone scrolls down. Back at the top, the list
// goes back to about one page.
const listPage = 30

// listActor is what the list asks of the page: what a card can do, and
// loading the feed's older posts from the server.
type listActor interface {
	postActor
	loadOlder(ctx app.Context)
}

// postList shows the feed's posts, newest first: the first listPage of
// them, and more as the reader scrolls down, then older pages from the
// server down to the feed's beginning. The posts are laid out in blocks
// (list-layout.go) so that a change renders only the cards it changes.
type postList struct {
	app.Compo

	Actor     listActor
	Posts     []postView
	Fresh     []string // ids of posts shown moments ago (highlighted)
	Editing   string
	EditDraft string
	// Clock is the current time in 15 s steps, for relative times.
	Clock int64
	// AtTop: the reader is at the top of the page.
	AtTop bool
	// History: whether older posts are left to load from the server.
	History historyState

	want     int // how many posts the reader should see (listPage if 0)
	shown    int // how many the last render showed
	wasAtTop bool
	layout   listLayout
}

// OnUpdate takes the list back to about one page when the reader is at
// the top: at once when they come back to it, and later when posts that
// arrived meanwhile have made it twice as long.
func (l *postList) OnUpdate(ctx app.Context) {
	if l.AtTop && (!l.wasAtTop || l.shown > 2*listPage || len(l.layout.newer) > maxNewer) {
		l.want = 0
		l.layout.shrink(l.Posts, listPage)
	}
	l.wasAtTop = l.AtTop
}

func (l *postList) wanted() int {
	if l.want == 0 {
		return listPage
	}
	return l.want
}

// more shows the reader more: another page of the posts held, or, when
// all are shown, the next page of older ones from the server.
func (l *postList) more(ctx app.Context) {
	switch {
	case l.shown < len(l.Posts):
		l.want = l.wanted() + listPage
	case !l.History.Begins && !l.History.Loading:
		l.Actor.loadOlder(ctx)
	}
}

// end is what the end of the list offers.
func (l *postList) end() listEnd {
	switch {
	case l.shown < len(l.Posts):
		return endShowMore
	case l.History.Begins:
		return endBeginning
	case l.History.Loading:
		return endLoading
	default:
		return endLoadMore
	}
}

func (l *postList) Render() app.UI {
	if len(l.Posts) == 0 {
		l.layout.reset()
		l.shown = 0
		return app.Div().Class("empty").Body(
			app.P().Class("empty-title").Text("No posts yet"),
			app.P().Class("muted").Text("Say hello: what you post here shows up for everyone in this feed, live."),
		)
	}
	a := l.layout.arrange(l.Posts, l.wanted())
	l.shown = a.Shown
	cards := cardState{Fresh: l.Fresh, Editing: l.Editing, EditDraft: l.EditDraft, Clock: l.Clock}
	return app.Div().Class("post-list").Body(
		app.Div().Class("posts").Aria("label", "Posts").Role("feed").Body(
			newPostBlock(l.Actor, a.Sending, nil, cards),
			newPostBlock(l.Actor, a.Root, a.Newer, cards),
			app.Range(a.Older).Slice(func(i int) app.UI {
				return newPostBlock(l.Actor, a.Older[i], nil, cards)
			}),
		),
		newListMore(l, l.end(), l.History.Err, len(l.Posts)),
	)
}
