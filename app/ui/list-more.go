package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// listMoreMargin is how close (CSS pixels) the end of the rendered posts
// may come to the bottom of the window before more are shown.
const listMoreMargin = 800

// listEnd is what the end of the list offers.
type listEnd int

const (
	endShowMore  listEnd = iota // more of the posts held to render
	endLoadMore                 // older posts to load from the server
	endLoading                  // a page of older posts is on its way
	endBeginning                // nothing older: the feed's first post is shown
)

// grower is a list that can show more of its feed.
type grower interface {
	more(ctx app.Context)
}

// listMore sits below the last rendered post. When it comes within
// listMoreMargin of the window, the list shows more (grower.more); its
// button does the same for keyboards and screen readers. At the feed's
// first post it says so.
//
// Each time the list changes what it holds or offers it is observed anew,
// so that one still in view asks again, until the window is filled. It
// stays mounted, so a keyboard's focus stays on its button.
type listMore struct {
	app.Compo

	List  grower
	End   listEnd
	Err   string
	Total int // posts the list holds

	observer app.Value
	callback app.Func
}

func newListMore(l grower, end listEnd, err string, total int) *listMore {
	return &listMore{List: l, End: end, Err: err, Total: total}
}

func (m *listMore) OnMount(ctx app.Context) {
	io := app.Window().Get("IntersectionObserver")
	if !io.Truthy() {
		return // the button still works
	}
	m.callback = app.FuncOf(func(this app.Value, args []app.Value) any {
		entries := args[0]
		for i := 0; i < entries.Length(); i++ {
			if entries.Index(i).Get("isIntersecting").Bool() {
				ctx.Dispatch(m.grow)
				return nil
			}
		}
		return nil
	})
	m.observer = io.New(m.callback, map[string]any{"rootMargin": "0px 0px " + strconv.Itoa(listMoreMargin) + "px 0px"})
	m.observer.Call("observe", m.JSValue())
}

// OnUpdate observes the element anew: the observer then reports whether
// it is still near the window after the list changed.
func (m *listMore) OnUpdate(ctx app.Context) {
	if m.observer != nil {
		ctx.Defer(func(app.Context) {
			if m.observer != nil {
				m.observer.Call("unobserve", m.JSValue())
				m.observer.Call("observe", m.JSValue())
			}
		})
	}
}

func (m *listMore) OnDismount() {
	if m.observer != nil {
		m.observer.Call("disconnect")
		m.observer = nil
	}
	if m.callback != nil {
		m.callback.Release()
		m.callback = nil
	}
}

// grow asks for more, unless an error waits for the reader to retry (the
// observer would otherwise ask again at once, in a loop).
func (m *listMore) grow(ctx app.Context) {
	if m.Err == "" || m.End == endShowMore {
		m.List.more(ctx)
	}
}

func (m *listMore) onClick(ctx app.Context, e app.Event) { m.List.more(ctx) }

func (m *listMore) Render() app.UI {
	var body app.UI
	switch m.End {
	case endBeginning:
		body = app.P().Class("list-end muted").Text("Beginning of the feed")
	case endShowMore:
		body = app.Button().Class("btn btn-ghost").Type("button").Text("Show older posts").OnClick(m.onClick)
	default:
		loading := m.End == endLoading
		label := "Load older posts"
		if loading {
			label = "Loading older posts…"
		}
		body = app.Button().Class("btn btn-ghost").Type("button").Text(label).
			Aria("busy", loading).Aria("disabled", loading).OnClick(m.onClick)
	}
	return app.Div().Class("list-more").Body(
		body,
		app.P().Class("field-error").Role("alert").Text(m.Err),
	)
}
