package ui

import (
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// undoFor is how long a delete can be taken back: the post shows as
// deleted with an "Undo" button, and the delete goes into the outbox when
// the time is up (or at once when the page is hidden or the user signs out,
// so that a delete the person saw happen is never dropped).
const undoFor = 5 * time.Second

// pendingDelete is a delete waiting out its undo window.
type pendingDelete struct {
	feed  string
	final time.Time
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

// watchPageHide sends the deletes still in their undo window when the
// page hides: it may never come back (closed, navigated away). The outbox
// is written synchronously, so they survive the page.
func (p *feedPage) watchPageHide() {
	p.hideFn = app.FuncOf(func(app.Value, []app.Value) any {
		p.sendDeletes(true)
		return nil
	})
	app.Window().Call("addEventListener", "pagehide", p.hideFn)
}

func (p *feedPage) unwatchPageHide() {
	if p.hideFn != nil {
		app.Window().Call("removeEventListener", "pagehide", p.hideFn)
		p.hideFn.Release()
		p.hideFn = nil
	}
}
