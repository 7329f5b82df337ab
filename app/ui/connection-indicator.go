package ui

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// connectionView is what the connection indicator shows.
type connectionView struct {
	Kind      string // live, connecting, reconnecting, offline, update
	Label     string // starts with Live, Connecting, Reconnecting, Offline or Update required
	Hint      string
	Pending   int
	CanRetry  bool
	CanUpdate bool
	// DetailsOpen: the connection details panel is open, showing Details.
	DetailsOpen bool
	Details     diagView
}

// connectionIndicator shows the session's state (role=status) with a
// "Retry now" or "Update" action when one helps, and the "Connection
// details" disclosure.
type connectionIndicator struct {
	app.Compo

	Page *feedPage
	View connectionView
}

func newConnectionIndicator(p *feedPage, v connectionView) *connectionIndicator {
	return &connectionIndicator{Page: p, View: v}
}

func (c *connectionIndicator) Render() app.UI {
	v := c.View
	return app.Div().Class("conn conn-"+v.Kind).Body(
		app.Span().Class("conn-dot").Aria("hidden", true),
		app.Span().ID("connection-status").Class("conn-label").Role("status").Aria("live", "polite").Text(v.Label),
		app.If(v.Hint != "", func() app.UI {
			return app.Span().Class("conn-hint").Text(v.Hint)
		}),
		app.If(v.CanRetry, func() app.UI {
			return app.Button().Class("btn btn-ghost btn-sm").Type("button").Text("Retry now").
				OnClick(c.onRetry)
		}),
		app.If(v.CanUpdate, func() app.UI {
			return app.Button().Class("btn btn-primary btn-sm").Type("button").Text("Update").
				OnClick(reload)
		}),
		detailsToggle(c.Page, v.DetailsOpen),
		app.If(v.DetailsOpen, func() app.UI {
			return newConnectionDetails(c.Page, v.Details)
		}),
	)
}

func (c *connectionIndicator) onRetry(ctx app.Context, e app.Event) { c.Page.retryNow(ctx) }

func itoa(n int) string { return strconv.Itoa(n) }
