package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
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

// indicator describes the connection indicator from the page's state.
func (p *feedPage) indicator() connectionView {
	v := indicatorView(p.status, p.online, p.pendingN, p.now)
	v.DetailsOpen = p.detailsOpen
	if p.detailsOpen {
		v.Details = p.diagnostics() // connection-details.go
	}
	return v
}

// indicatorView says what the indicator shows for the session's status st,
// the browser being online or not, pending changes not sent yet, at now.
func indicatorView(st session.Status, online bool, pending int, now time.Time) connectionView {
	v := connectionView{Pending: pending}
	switch {
	case st.State == session.StateUpdateRequired:
		v.Kind, v.Label = "update", "Update required"
		v.Hint = "This version of Livefeed is too old for the server."
		v.CanUpdate = true
	case !online || st.State == session.StateOffline:
		v.Kind, v.Label = "offline", "Offline"
		if pending > 0 {
			v.Hint = plural(pending, "change", "changes") + " will be sent when you're back online"
		} else {
			v.Hint = "Showing saved posts; you can keep writing"
		}
	case st.State == session.StateLive:
		v.Kind, v.Label = "live", "Live"
	case st.State == session.StateReconnecting:
		v.Kind, v.CanRetry = "reconnecting", true
		if wait := st.NextTry.Sub(now); !st.NextTry.IsZero() && wait > 500*time.Millisecond {
			v.Label = "Reconnecting — retrying in " + fmtSeconds(wait)
		} else {
			v.Label = "Reconnecting…"
		}
	default:
		v.Kind, v.Label = "connecting", "Connecting…"
	}
	return v
}

// fmtSeconds formats a wait in whole seconds, rounded up: "3 s".
func fmtSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s) + " s"
}

// setStatus takes a new status from the session, remembering its last
// error and when it last happened (the session clears it once connected
// again).
func (p *feedPage) setStatus(st session.Status, now time.Time) {
	if st.LastError != "" && (p.status.LastError == "" || st.LastError != p.lastErr || st.Attempt != p.status.Attempt) {
		p.lastErr, p.lastErrAt = st.LastError, now
	}
	p.status = st
}

// retryNow is the indicator's "Retry now".
func (p *feedPage) retryNow(ctx app.Context) { cl.retryNow() }

// connectionActor is what the indicator and its details ask of the page.
type connectionActor interface {
	retryNow(ctx app.Context)
	// toggleDetails opens or closes the connection details, closeDetails
	// closes them (giving the focus back to their toggle), and
	// setTechOpen follows their "Technical details" fold
	// (connection-details.go).
	toggleDetails(ctx app.Context)
	closeDetails(ctx app.Context)
	setTechOpen(open bool)
}

// connectionIndicator shows the session's state (role=status) with a
// "Retry now" or "Update" action when one helps, and the "Connection
// details" disclosure.
type connectionIndicator struct {
	app.Compo

	Actor connectionActor
	View  connectionView
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
		c.detailsToggle(),
		app.If(v.DetailsOpen, func() app.UI {
			return &connectionDetails{Actor: c.Actor, View: v.Details}
		}),
	)
}

// detailsToggle opens and closes the connection details.
func (c *connectionIndicator) detailsToggle() app.UI {
	return app.Button().ID(detailsToggleID).Class("btn btn-ghost btn-sm diag-toggle").Type("button").
		Aria("expanded", c.View.DetailsOpen).Aria("controls", detailsPanelID).Aria("label", "Connection details").
		Title("Connection details").
		OnClick(c.onToggleDetails).
		OnKeyDown(c.onDetailsKey).
		Body(app.Span().Class("diag-chevron").Aria("hidden", true))
}

func (c *connectionIndicator) onRetry(ctx app.Context, e app.Event) { c.Actor.retryNow(ctx) }

func (c *connectionIndicator) onToggleDetails(ctx app.Context, e app.Event) {
	c.Actor.toggleDetails(ctx)
}

// onDetailsKey closes the details on Escape.
func (c *connectionIndicator) onDetailsKey(ctx app.Context, e app.Event) {
	if c.View.DetailsOpen {
		closeOnEscape(ctx, e, c.Actor)
	}
}

// closeOnEscape closes the connection details if the key is Escape.
func closeOnEscape(ctx app.Context, e app.Event, a connectionActor) {
	if e.Get("key").String() == "Escape" {
		e.PreventDefault()
		a.closeDetails(ctx)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
