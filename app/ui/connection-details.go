package ui

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
)

// Element ids of the connection details disclosure.
const (
	detailsToggleID = "connection-details-toggle"
	detailsPanelID  = "connection-details"
)

// diagView is what the connection details panel shows: first what the
// connection is doing, in plain words (Summary, State, NextTry, Problem,
// Browser, Pending, Cached), then, folded under "Technical details", the
// session's client telemetry (session.Status) and the feed's position,
// formatted for reading.
type diagView struct {
	Summary   string // one sentence about the connection
	Problem   string // the last error in plain words (problemText); "None"
	State     string
	Attempt   string
	NextTry   string
	NextTryMS int64 // when the next attempt starts (Unix ms); 0 when none is scheduled
	LastError string
	ErrorAt   string // when LastError was last seen; "" when there was none
	Browser   string
	Feed      string
	Position  string
	Cached    string
	Pending   string
	Stats     []statView
	// TechOpen: the "Technical details" fold is open. The page keeps it, so
	// that it stays open when the panel is drawn anew (another button in
	// the indicator moves it) or opened again.
	TechOpen bool
}

// statView is one counter of session.Stats.
type statView struct {
	Key, Label, Value, Help string
}

// diagnostics builds the connection details from the page's state.
func (p *feedPage) diagnostics() diagView {
	st := p.status
	v := diagView{
		Summary: connectionSummary(st.State, p.online),
		Problem: "None",
		State:   string(st.State),
		Attempt: "—",
		NextTry: "—",
		Browser: "Online",
		Feed:    "#" + p.feed,
		Cached:  itoa(p.cachedN),
		Pending: itoa(p.pendingN),

		TechOpen: p.techOpen,
	}
	if v.State == "" {
		v.State = string(session.StateConnecting)
	}
	if !p.online {
		v.Browser = "Offline (waiting for the network)"
	}
	if st.Attempt > 0 && st.State != session.StateLive {
		v.Attempt = itoa(st.Attempt)
	}
	if !st.NextTry.IsZero() && st.State == session.StateReconnecting {
		v.NextTryMS = st.NextTry.UnixMilli()
		if wait := st.NextTry.Sub(p.now); wait > 0 {
			v.NextTry = "in " + fmtSeconds(wait) + " · " + clockTime(st.NextTry)
		} else {
			v.NextTry = "now"
		}
	}
	v.LastError = "None"
	if p.lastErr != "" {
		v.LastError = p.lastErr
		v.Problem = problemText(p.lastErr)
		v.ErrorAt = clockTime(p.lastErrAt)
	}
	if p.feedSynced {
		v.Position = strconv.FormatUint(p.feedPos, 10)
	} else {
		v.Position = "Not synced yet"
	}
	s := st.Stats
	catchUp := "—"
	if s.LastCatchUp > 0 {
		catchUp = fmtDuration(s.LastCatchUp)
	}
	v.Stats = []statView{
		{"transport", "Transport", transportName(st.Transport), "How the connection reaches the server: a WebSocket, or plain HTTP where a network blocks WebSockets"},
		{"connects", "Connects", itoa(s.Connects), "Successful connections"},
		{"reconnects", "Reconnects", itoa(s.Reconnects), "Successful connections after the first"},
		{"resumes", "Resumes", itoa(s.Resumes), "Feeds resumed from their last position"},
		{"history-gone", "History gone", itoa(s.HistoryGone), "Resumes the server could no longer serve: the feed was reloaded"},
		{"replayed", "Replayed", itoa(s.Replayed), "Events caught up on while resuming"},
		{"duplicates", "Duplicates", itoa(s.Duplicates), "Events ignored because they were already applied"},
		{"gaps", "Gaps", itoa(s.Gaps), "Missing events detected (each one causes a resume)"},
		{"catch-up", "Last catch-up", catchUp, "Time from reconnecting to being caught up, last time"},
	}
	return v
}

// transportName names a session transport for the panel.
func transportName(t string) string {
	switch t {
	case session.TransportWebSocket:
		return "WebSocket"
	case session.TransportStream:
		return "HTTP stream"
	case session.TransportPoll:
		return "HTTP long polling"
	}
	return "—"
}

// connectionSummary says what the connection state means for the person.
func connectionSummary(st session.State, online bool) string {
	switch {
	case st == session.StateUpdateRequired:
		return "This version of Livefeed is too old for the server. Update to go on."
	case !online || st == session.StateOffline:
		return "Your device is offline. You can keep writing: your changes are sent when it's back online."
	case st == session.StateLive:
		return "Connected. Changes by everyone appear as they happen."
	case st == session.StateReconnecting:
		return "The connection dropped. Livefeed reconnects by itself and keeps your changes until they are sent."
	}
	return "Connecting to Livefeed…"
}

// clockTime formats t as a local time of day.
func clockTime(t time.Time) string { return t.Local().Format("15:04:05") }

// fmtDuration formats a short duration: "14 ms", "1.3 s", "2 min".
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1 ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	default:
		return strconv.Itoa(int(d.Minutes())) + " min"
	}
}

// toggleDetails opens or closes the connection details.
func (p *feedPage) toggleDetails(ctx app.Context) {
	p.detailsOpen = !p.detailsOpen
	if p.detailsOpen {
		p.sync(ctx)
	}
}

// closeDetails closes the connection details and gives the focus back to
// their toggle.
func (p *feedPage) closeDetails(ctx app.Context) {
	p.detailsOpen = false
	// The toggle stays on the page; the panel (which may hold the focus)
	// goes with the next update.
	if el := app.Window().GetElementByID(detailsToggleID); el.Truthy() {
		el.Call("focus")
	}
}

// setTechOpen follows the "Technical details" fold as the reader opens or
// closes it.
func (p *feedPage) setTechOpen(open bool) { p.techOpen = open }

// connectionDetails is the panel: a small card under the indicator.
type connectionDetails struct {
	app.Compo

	Actor connectionActor
	View  diagView
}

func (d *connectionDetails) Render() app.UI {
	v := d.View
	return app.Section().ID(detailsPanelID).Class("diag card").
		Aria("labelledby", "connection-details-title").
		DataSet("state", v.State).DataSet("next-try", v.NextTryMS).
		OnKeyDown(d.onKey).
		Body(
			app.Div().Class("diag-head").Body(
				app.H2().ID("connection-details-title").Class("diag-title").Text("Connection details"),
				app.Button().Class("diag-close").Type("button").Aria("label", "Close").Title("Close").Text("×").
					OnClick(d.onClose),
			),
			app.P().Class("diag-summary").DataSet("k", "summary").Text(v.Summary),
			app.Dl().Class("diag-list").Body(
				diagRow("state", "Connection", v.State, ""),
				diagRow("next-try", "Next try", v.NextTry, "When Livefeed tries to connect again"),
				app.Div().Class("diag-row").Body(
					app.Dt().Text("Last problem"),
					app.Dd().DataSet("k", "problem").Body(
						app.Text(v.Problem),
						app.If(v.ErrorAt != "", func() app.UI {
							return app.Span().Class("diag-when").Text(" at " + v.ErrorAt)
						}),
					),
				),
				diagRow("browser", "Network", v.Browser, "What your browser says about the network"),
				diagRow("pending", "Waiting to send", v.Pending, "Your changes not yet received by Livefeed"),
				diagRow("cached", "Posts saved on this device", v.Cached, "What this feed shows before it is connected"),
			),
			// Developer terms, for whoever troubleshoots: folded.
			app.Details().Class("diag-tech").Open(v.TechOpen).OnToggle(d.onTechToggle).Body(
				app.Summary().Class("diag-tech-toggle").Text("Technical details"),
				app.Dl().Class("diag-list").Body(
					diagRow("attempt", "Attempt", v.Attempt, "Failed attempts since the connection was last healthy"),
					app.Div().Class("diag-row diag-row-error").Body(
						app.Dt().Text("Last error"),
						app.Dd().DataSet("k", "last-error").Body(
							app.If(v.ErrorAt == "", func() app.UI {
								return app.Text(v.LastError)
							}).Else(func() app.UI {
								return app.Span().Class("diag-error").Text(v.LastError)
							}),
						),
					),
					diagRow("feed", "Feed", v.Feed, ""),
					diagRow("position", "Position", v.Position, "Log position of the last event applied"),
				),
				app.H3().Class("diag-sub").Text("Since this page opened"),
				app.Dl().Class("diag-stats").Body(
					app.Range(v.Stats).Slice(func(i int) app.UI {
						s := v.Stats[i]
						return app.Div().Class("diag-stat").Title("%s", s.Help).Body(
							app.Dt().Text(s.Label),
							app.Dd().DataSet("k", s.Key).Text(s.Value),
						)
					}),
				),
			),
		)
}

// onKey closes the details on Escape (the panel is there only while they
// are open).
func (d *connectionDetails) onKey(ctx app.Context, e app.Event) { closeOnEscape(ctx, e, d.Actor) }

func (d *connectionDetails) onClose(ctx app.Context, e app.Event) { d.Actor.closeDetails(ctx) }

// onTechToggle follows the "Technical details" fold as the reader opens or
// closes it.
func (d *connectionDetails) onTechToggle(ctx app.Context, e app.Event) {
	d.Actor.setTechOpen(ctx.JSSrc().Get("open").Bool())
}

func diagRow(key, label, value, help string) app.UI {
	row := app.Div().Class("diag-row")
	if help != "" {
		row = row.Title("%s", help)
	}
	return row.Body(
		app.Dt().Text(label),
		app.Dd().DataSet("k", key).Text(value),
	)
}
