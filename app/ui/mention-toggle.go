package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// mentionActor is what the mentions toggle asks of the page.
type mentionActor interface {
	toggleMentions(ctx app.Context)
}

// mentionView is what the mentions toggle shows.
type mentionView struct {
	// Available: the browser has notifications (no toggle otherwise).
	Available bool
	// On: the reader asked for them and the browser allows them.
	On bool
	// Hint says why they cannot be turned on (blocked in the browser's
	// settings); "" for nothing to say.
	Hint string
}

// mentionToggle is the "Notify me of mentions" button, a toggle
// (aria-pressed): pressing it the first time asks the browser for the
// permission, which browsers grant only from a person's click; pressing it
// again turns the notifications off.
type mentionToggle struct {
	app.Compo

	Actor mentionActor
	View  mentionView
}

func (t *mentionToggle) Render() app.UI {
	v := t.View
	if !v.Available {
		return app.Div().Class("mentions mentions-none")
	}
	cls := "btn btn-ghost btn-sm mention-toggle"
	if v.On {
		cls += " mention-toggle-on"
	}
	return app.Div().Class("mentions").Body(
		app.Button().Class(cls).Type("button").Aria("pressed", v.On).
			Title("Get a notification when someone writes @ and your name while Livefeed is in the background").
			OnClick(t.onClick).
			Body(
				app.Span().Class("mention-bell").Aria("hidden", true).Text("🔔"),
				app.Text("Notify me of mentions"),
			),
		// Always there, so that a screen reader hears the hint when it
		// comes.
		app.P().Class("mention-hint").Aria("live", "polite").Text(v.Hint),
	)
}

func (t *mentionToggle) onClick(ctx app.Context, e app.Event) { t.Actor.toggleMentions(ctx) }

// mentionState is the reader's choice about mention notifications and
// what the browser allows.
type mentionState struct {
	available  bool   // the browser has notifications
	permission string // Notification.permission when last looked at
	chosen     bool   // the reader turned them on (stored)
	hint       string
}

// on reports whether mentions are notified.
func (m mentionState) on() bool { return m.available && m.chosen && m.permission == "granted" }

func (m mentionState) view() mentionView {
	return mentionView{Available: m.available, On: m.on(), Hint: m.hint}
}

// blockedHint is the toggle's hint when the browser blocks notifications.
const blockedHint = "Notifications are blocked for Livefeed in this browser. Allow them in the site settings, then try again."

// toggle takes a click on the toggle, the browser's permission being
// perm: it reports whether to ask the browser for the permission (the
// answer goes to answered), and whether the reader's choice changed (to
// be stored).
func (m *mentionState) toggle(perm string) (ask, changed bool) {
	m.permission, m.hint = perm, ""
	switch {
	case m.on():
		m.chosen = false
		return false, true
	case perm == "granted":
		m.chosen = true
		return false, true
	case perm == "denied":
		m.hint = blockedHint
	case perm == "default":
		return true, false
	}
	return false, false
}

// answered takes the browser's answer to the permission asked for; it
// reports whether the reader's choice changed (to be stored). A prompt
// dismissed ("default") changes nothing.
func (m *mentionState) answered(perm string) (changed bool) {
	m.permission = perm
	switch perm {
	case "granted":
		changed, m.chosen = !m.chosen, true
	case "denied":
		m.hint = blockedHint
	}
	return changed
}

// mentionView is what the mentions toggle shows.
func (p *feedPage) mentionView() mentionView { return p.news.mentions.view() }

// toggleMentions is the toggle's click: mention notifications on (asking
// the browser for the permission if it has not been given yet) or off.
func (p *feedPage) toggleMentions(ctx app.Context) {
	m := &p.news.mentions
	ask, changed := m.toggle(notificationPermission())
	if changed {
		saveMentionChoice(p.user.ID, m.chosen)
	}
	if ask {
		// The page's context: the answer may come after the button has
		// gone (go-app drops dispatches of unmounted elements).
		pc, user := p.ctx, p.user.ID
		requestNotificationPermission(func(perm string) {
			pc.Dispatch(func(ctx app.Context) { p.permissionAnswered(user, perm) })
		})
	}
}

// permissionAnswered takes the browser's answer to the permission asked
// for user.
func (p *feedPage) permissionAnswered(user, perm string) {
	if user != p.user.ID {
		return // signed out meanwhile
	}
	if p.news.mentions.answered(perm) {
		saveMentionChoice(user, p.news.mentions.chosen)
	}
}
