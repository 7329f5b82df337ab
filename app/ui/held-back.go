package ui

import (
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// New posts held back. At the top of the page a new post appears in place,
// highlighted for a moment; scrolled away from it (or while editing), posts
// by others wait behind the "N new posts" pill (new-posts-pill.go), so
// that what the reader is looking at does not move. Their own posts always
// show at once.

// topSlack is how far (CSS pixels) the window may be scrolled and still
// count as "at the top", where new posts appear in place.
const topSlack = 24

// freshFor is how long a newly shown post keeps its highlight.
const freshFor = 2500 * time.Millisecond

// watchScroll follows whether the reader is at the top.
func (p *feedPage) watchScroll(ctx app.Context) {
	p.atTop = scrollY() < topSlack
	p.scrollFn = app.FuncOf(func(app.Value, []app.Value) any {
		top := scrollY() < topSlack
		if top != p.atTop {
			ctx.Dispatch(func(ctx app.Context) { p.setAtTop(ctx, top) })
		}
		return nil
	})
	app.Window().Call("addEventListener", "scroll", p.scrollFn, map[string]any{"passive": true})
}

func (p *feedPage) unwatchScroll() {
	if p.scrollFn != nil {
		app.Window().Call("removeEventListener", "scroll", p.scrollFn)
		p.scrollFn.Release()
		p.scrollFn = nil
	}
}

func scrollY() float64 {
	if !app.IsClient {
		return 0
	}
	return app.Window().Get("scrollY").Float()
}

// holdBack decides which of the feed's posts are shown: on the first sync
// of a feed (or after the session replaced it, reset) all of them; later
// the new ones only if the reader is at the top and not editing, or wrote
// them. It counts the posts left waiting (newCount).
func (p *feedPage) holdBack(ctx app.Context, posts []protocol.Post, reset bool, now time.Time) {
	if !p.baseline || reset {
		clear(p.known)
		for _, post := range posts {
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
		for _, post := range posts {
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
	p.newCount = 0
	for _, post := range posts {
		if !p.known[post.ID] {
			p.newCount++
		}
	}
}

// heldBack reports whether the post with id waits behind the pill.
func (p *feedPage) heldBack(id string) bool { return !p.known[id] }

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

// freshIDs lists the highlighted posts, sorted so that the list's props
// compare equal while they do not change.
func (p *feedPage) freshIDs() []string {
	var ids []string
	for id := range p.fresh {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (p *feedPage) setAtTop(ctx app.Context, top bool) {
	p.atTop = top
	p.seenAtTop()
	if top && p.newCount > 0 && p.editing == "" {
		p.sync(ctx) // reveals what was held back
	}
}

// showNew is the pill's click: it reveals the held-back posts and scrolls
// to the top.
func (p *feedPage) showNew(ctx app.Context) {
	// Scroll first (not in a ctx.Defer: the pill that was clicked is gone
	// after the update, and Defer skips functions of unmounted elements).
	app.Window().Call("scrollTo", 0, 0)
	p.atTop = true
	p.sync(ctx)
}
