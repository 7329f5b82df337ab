package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// How the app tells the reader what is new (docs/whats-new.md):
//
//   - seen: per feed, the position of the newest post the reader has had
//     on screen at the top of the feed with the tab visible. It moves on
//     whenever the reader is at the top and the tab visible, and is kept in
//     localStorage (last-seen.go). On a first visit, the posts already
//     there count as seen (as for the "N new posts" pill).
//   - the count: posts by others newer than seen. While the tab is hidden
//     it is in the title, "(N) Livefeed" (tab-title.go), and on the
//     installed app's badge (app-badge.go); once the tab is visible again
//     both are cleared (the pill speaks for posts held back). It falls back
//     to 0 when the reader sees the top with the tab visible.
//   - the divider "New since you left" (seen-divider.go): when the reader
//     comes back (the page opens a feed: a reload, reopening the app,
//     another feed; or the tab becomes visible after being hidden for
//     awayFor or longer), it is set at the seen position of that moment,
//     above the newest post seen. It goes when the reader, having scrolled
//     away from the top while it showed, comes back to the top (by
//     scrolling or with the pill), and moves at the next coming back.
//   - mentions (mention.go, mention-notify.go, mention-toggle.go): opted
//     into with a button; while the tab is hidden, one notification per
//     new post by someone else that mentions the reader.

// awayFor is how long the tab must have been hidden for its becoming
// visible to count as coming back (the divider moves to what the reader
// had seen when they left). Shorter absences keep the divider where it is.
const awayFor = time.Minute

// whatsNew is what the page knows of what is new in the feed it shows.
type whatsNew struct {
	user, feed string // what it is about ("" before the first sync)
	// seen is the position of the newest post seen (see above); 0 when
	// nothing is known. saved is the position stored, as far as the page
	// knows.
	seen, saved uint64
	// divider is the seen position the divider goes by (0: no divider).
	divider uint64
	// leftTop: the reader scrolled away from the top while the divider
	// showed.
	leftTop bool
	// floor: posts at or below it are not new to notify of: they were
	// there when the feed opened or was replaced, or a sync has already
	// offered them.
	floor  uint64
	unseen int // posts by others newer than seen

	hidden   bool      // the tab is hidden
	hiddenAt time.Time // when it was hidden last
	badge    int       // the count on the app badge (-1: not set yet)

	mentions mentionState
	notes    mentionNotes
	visFn    app.Func // the visibilitychange listener
}

// open starts following feed for user: the page shows a feed anew (a
// reload, reopening the app, another feed), so the reader comes back to
// it. stored is the feed's last-seen position in storage (0: none), posts
// what the feed holds now (oldest first).
func (w *whatsNew) open(user, feed string, stored uint64, posts []protocol.Post) {
	newest := newestPos(posts)
	w.user, w.feed = user, feed
	w.seen, w.saved, w.divider, w.leftTop = stored, stored, stored, false
	if stored == 0 {
		w.seen = newest // a first visit: what is there is not new
	}
	w.floor = newest
}

// replaced takes a feed whose posts were replaced (a snapshot, a page of
// older posts): its posts are not new to notify of, and on a first visit
// not to count either.
func (w *whatsNew) replaced(posts []protocol.Post) {
	newest := newestPos(posts)
	w.floor = max(w.floor, newest)
	if w.seen == 0 {
		w.seen = newest
	}
}

// look notes what the reader sees: with the tab visible and the reader at
// the top, the posts shown up to newestShown are seen. It reports whether
// seen is ahead of what is stored (to be stored, then told to stored).
func (w *whatsNew) look(visible, atTop bool, newestShown uint64) bool {
	if !visible || !atTop {
		return false
	}
	w.seen = max(w.seen, newestShown)
	return w.seen > w.saved
}

// stored takes the position now stored (saveSeen: the most this tab or
// another of the reader's saw).
func (w *whatsNew) stored(pos uint64) {
	w.saved = pos
	w.seen = max(w.seen, pos)
}

// cameBack reports whether the tab's becoming visible after being hidden
// for hiddenFor counts as the reader coming back.
func cameBack(hiddenFor time.Duration) bool { return hiddenFor >= awayFor }

// comeBack sets the divider at what the reader had seen when they left:
// the most this tab or another of theirs (stored) saw.
func (w *whatsNew) comeBack(stored uint64) {
	w.seen, w.saved = max(w.seen, stored), max(w.saved, stored)
	w.divider, w.leftTop = w.seen, false
}

// scrolled follows the reader for the divider: shown says whether the list
// shows it. Leaving the top while it shows, then coming back to the top,
// takes it away.
func (w *whatsNew) scrolled(atTop, shown bool) {
	switch {
	case !shown:
	case !atTop:
		w.leftTop = true
	case w.leftTop:
		w.divider, w.leftTop = 0, false
	}
}

// newPosts returns the posts (oldest first) that are new to notify of,
// by others, above floor, and moves floor past every post.
func (w *whatsNew) newPosts(posts []protocol.Post, me string) []protocol.Post {
	var out []protocol.Post
	i := len(posts)
	for i > 0 && posts[i-1].Pos > w.floor {
		i--
	}
	for _, p := range posts[i:] {
		if p.Author.ID != me {
			out = append(out, p)
		}
	}
	w.floor = max(w.floor, newestPos(posts))
	return out
}

// unseenCount counts the posts by others newer than seen.
func unseenCount(posts []protocol.Post, seen uint64, me string) int {
	n := 0
	for i := len(posts) - 1; i >= 0 && posts[i].Pos > seen; i-- {
		if posts[i].Author.ID != me {
			n++
		}
	}
	return n
}

// newestPos is the position of the newest of posts (oldest first); 0 for
// none.
func newestPos(posts []protocol.Post) uint64 {
	if len(posts) == 0 {
		return 0
	}
	return posts[len(posts)-1].Pos
}

// newestShown is the position of the newest post in posts (as shown,
// newest first) that is in the feed's log; 0 for none.
func newestShown(posts []postView) uint64 {
	for _, v := range posts {
		if v.Pos != 0 {
			return v.Pos
		}
	}
	return 0
}

// see is the page's sync, as far as what is new goes: me reads feed,
// whose posts are posts (oldest first), replaced since the last call if
// reset; shown is what the list shows (newest first), freshly built (the
// divider's flag is set in it, on one post). load reads the feed's
// last-seen position from storage. It returns the posts to notify of (new,
// by others; oldest first) and whether seen moved on (to be stored).
func (w *whatsNew) see(me, feed string, posts []protocol.Post, shown []postView, reset, atTop bool, load func() uint64) (fresh []protocol.Post, moved bool) {
	if w.user != me || w.feed != feed {
		w.open(me, feed, load(), posts)
	} else if reset {
		w.replaced(posts)
	}
	fresh = w.newPosts(posts, me)
	i, moved := w.place(shown, atTop)
	if i >= 0 {
		shown[i].DividerAbove = true
	}
	w.unseen = unseenCount(posts, w.seen, me)
	return fresh, moved
}

// place notes what the reader sees of shown (newest first) from where
// they are (atTop). It returns the index of the post the divider goes
// above (-1: none) and whether seen moved on (to be stored).
func (w *whatsNew) place(shown []postView, atTop bool) (int, bool) {
	moved := w.look(!w.hidden, atTop, newestShown(shown))
	i := dividerAt(shown, w.divider)
	w.scrolled(atTop, i >= 0)
	if w.divider == 0 {
		i = -1
	}
	return i, moved
}

// setHidden follows the tab being hidden or shown at now; load reads the
// feed's last-seen position from storage. It reports whether anything
// changed.
func (w *whatsNew) setHidden(hidden bool, now time.Time, load func() uint64) bool {
	if hidden == w.hidden {
		return false
	}
	w.hidden = hidden
	if hidden {
		w.hiddenAt = now
		return true
	}
	if w.feed != "" && cameBack(now.Sub(w.hiddenAt)) {
		w.comeBack(load())
	}
	return true
}

// shownCount is the count for the title and the badge: the unseen posts
// while the tab is hidden, else 0.
func (w *whatsNew) shownCount() int {
	if !w.hidden {
		return 0
	}
	return w.unseen
}

// The page's side: listeners, storage, title, badge and notifications.

// watchWhatsNew starts following the tab's visibility (OnMount).
func (p *feedPage) watchWhatsNew(ctx app.Context) {
	w := &p.news
	w.badge = -1
	w.hidden = documentHidden()
	w.hiddenAt = time.Now()
	w.mentions.permission = notificationPermission()
	w.mentions.available = w.mentions.permission != ""
	doc := app.Window().Get("document")
	w.visFn = app.FuncOf(func(app.Value, []app.Value) any {
		ctx.Dispatch(p.visibilityChanged)
		return nil
	})
	doc.Call("addEventListener", "visibilitychange", w.visFn)
}

// unwatchWhatsNew stops it (OnDismount).
func (p *feedPage) unwatchWhatsNew() {
	w := &p.news
	if w.visFn != nil {
		app.Window().Get("document").Call("removeEventListener", "visibilitychange", w.visFn)
		w.visFn.Release()
		w.visFn = nil
	}
	w.notes.release()
}

// documentHidden reports document.visibilityState == "hidden".
func documentHidden() bool {
	if !app.IsClient {
		return false
	}
	return app.Window().Get("document").Get("visibilityState").String() == "hidden"
}

// visibilityChanged follows the tab being hidden or shown.
func (p *feedPage) visibilityChanged(ctx app.Context) {
	w := &p.news
	if !w.setHidden(documentHidden(), time.Now(), p.storedSeen) {
		return
	}
	if !w.hidden {
		w.notes.closeAll()                               // the reader is back where the posts are
		w.mentions.permission = notificationPermission() // settings may have changed
	}
	p.sync(ctx)
	p.showUnseen(ctx)
}

// storedSeen reads the last-seen position of the feed shown.
func (p *feedPage) storedSeen() uint64 { return loadSeen(p.user.ID, p.feed) }

// seeWhatsNew is sync's part: f is the feed shown, reset says its posts
// were replaced since the last sync; p.posts is what the list shows, just
// built by buildPosts.
func (p *feedPage) seeWhatsNew(ctx app.Context, f session.Feed, reset bool) {
	w := &p.news
	if w.user != p.user.ID {
		w.mentions.chosen, w.mentions.hint = loadMentionChoice(p.user.ID), ""
	}
	fresh, moved := w.see(p.user.ID, p.feed, f.Posts, p.posts, reset, p.atTop, p.storedSeen)
	if moved {
		w.stored(saveSeen(w.user, w.feed, w.seen))
	}
	p.notifyMentions(fresh)
	p.showUnseen(ctx)
}

// seenAtTop follows the reader scrolling to or away from the top
// (setAtTop).
func (p *feedPage) seenAtTop() {
	w := &p.news
	if p.phase != phaseFeed || w.feed != p.feed {
		return
	}
	i, moved := w.place(p.posts, p.atTop)
	p.posts = withDivider(p.posts, i) // a copy if it moves: the list holds p.posts
	if moved {
		w.stored(saveSeen(w.user, w.feed, w.seen))
	}
}

// showUnseen puts the count in the title and on the app badge while the
// tab is hidden, and takes it away when it is visible.
func (p *feedPage) showUnseen(ctx app.Context) {
	w := &p.news
	n := w.shownCount()
	if p.phase != phaseFeed {
		n = 0
	}
	if t := tabTitle(p.feed, n); ctx.Page().Title() != t {
		ctx.Page().SetTitle(t)
	}
	if n != w.badge {
		w.badge = n
		setAppBadge(n)
	}
}
