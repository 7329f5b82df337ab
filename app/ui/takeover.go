package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Taking over the prerendered page: go-app replaces the elements the
// server rendered with the app's own when the wasm starts. Someone may
// have typed into the prerendered compose box meanwhile, or scrolled: what
// they did is read from the prerendered elements just before (the feed
// page's OnInit, first-paint.go) and given to the app's elements after,
// so that no keystroke, caret or scroll position is lost.

// takeover is what the reader did on the prerendered page.
type takeover struct {
	draft            string
	focused          bool // the compose box had the focus
	selStart, selEnd int
	scrollY          float64
}

// prerendered is the page's takeover, read once per page load.
var prerendered takeover

// captureTakeover reads the prerendered page's compose box and scroll
// position (in the browser; it does nothing once the app's own elements
// are on screen, the compose box's then being the app's).
func captureTakeover() {
	if !app.IsClient {
		return
	}
	doc := app.Window().Get("document")
	el := doc.Call("querySelector", "["+firstPaintAttr+"] #"+composeTextID)
	if !el.Truthy() {
		return
	}
	prerendered = takeover{
		draft:    el.Get("value").String(),
		focused:  doc.Get("activeElement").Equal(el),
		selStart: el.Get("selectionStart").Int(),
		selEnd:   el.Get("selectionEnd").Int(),
		scrollY:  app.Window().Get("scrollY").Float(),
	}
}

// takeDraft returns (once) what was typed into the prerendered compose
// box.
func (t *takeover) takeDraft() string {
	d := t.draft
	t.draft = ""
	return d
}

// restoreCompose gives the app's compose box the focus and caret the
// prerendered one had (once).
func (t *takeover) restoreCompose() {
	if !t.focused || !app.IsClient {
		return
	}
	t.focused = false
	if el := app.Window().GetElementByID(composeTextID); el.Truthy() {
		el.Call("focus", map[string]any{"preventScroll": true})
		el.Call("setSelectionRange", t.selStart, t.selEnd)
	}
}

// restoreScroll scrolls back to where the reader was on the prerendered
// page, should the replacement have moved the page (once).
func (t *takeover) restoreScroll() {
	y := t.scrollY
	t.scrollY = 0
	if y > 0 && app.IsClient && app.Window().Get("scrollY").Float() != y {
		app.Window().Call("scrollTo", 0, y)
	}
}

// OnInit starts the compose box with what was typed into the prerendered
// one.
func (c *composeBox) OnInit() {
	if d := prerendered.takeDraft(); d != "" {
		c.setDraft(d)
	}
}

// OnMount gives the compose box the focus the prerendered one had.
func (c *composeBox) OnMount(ctx app.Context) { prerendered.restoreCompose() }
