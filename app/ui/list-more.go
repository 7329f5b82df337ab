package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// listMoreMargin is how close (CSS pixels) the end of the rendered posts
// may come to the bottom of the window before more are rendered.
const listMoreMargin = 800

// grower is a list that can render more of what it holds.
type grower interface {
	showMore(ctx app.Context)
}

// listMore sits below the last rendered post. When it comes within
// listMoreMargin of the window, the list renders another page; its button
// does the same for keyboards and screen readers.
//
// Each time the list grows (Wanted changes) it is observed anew, so that
// one still in view grows the list again, until the window is filled. It
// stays mounted, so a keyboard's focus stays on its button.
type listMore struct {
	app.Compo

	List   grower
	Wanted int

	observer app.Value
	callback app.Func
}

func newListMore(l grower, wanted int) *listMore { return &listMore{List: l, Wanted: wanted} }

// OnUpdate observes the element anew: the observer then reports whether
// it is still near the window after the list grew.
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

func (m *listMore) grow(ctx app.Context) { m.List.showMore(ctx) }

func (m *listMore) onClick(ctx app.Context, e app.Event) { m.grow(ctx) }

func (m *listMore) Render() app.UI {
	return app.Div().Class("list-more").Body(
		app.Button().Class("btn btn-ghost").Type("button").Text("Show older posts").OnClick(m.onClick),
	)
}
