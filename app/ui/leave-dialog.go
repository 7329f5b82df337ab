package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// leaveDialog asks before signing out while changes are not sent yet (see
// sign-out.go). It is a modal <dialog> (showModal): the page behind it is
// inert, the focus moves into it, onto "Stay signed in" (the first button),
// and Escape means "Stay signed in". Its name is its title, which says how
// many changes are waiting; the count follows the outbox while it is open.
type leaveDialog struct {
	app.Compo

	Actor   leaveActor
	Unsent  int
	Offline bool
}

// leaveActor is what the dialog asks of the page (sign-out.go).
type leaveActor interface {
	staySignedIn(ctx app.Context)
	signOutAnyway(ctx app.Context)
}

// OnMount opens the dialog as a modal (after go-app has put it into the
// document).
func (d *leaveDialog) OnMount(ctx app.Context) {
	if v := d.JSValue(); v != nil && v.Truthy() && v.Get("showModal").Truthy() && !v.Get("open").Truthy() {
		v.Call("showModal")
	}
}

// leaveTitle is the dialog's title: "1 change is not sent yet".
func leaveTitle(unsent int) string {
	return plural(unsent, "change is", "changes are") + " not sent yet"
}

// leaveText explains what happens next.
func leaveText(offline bool) string {
	if offline {
		return "You're offline: they will be sent when you're back online, and you'll be signed out as soon as they are. If you sign out now, they are lost."
	}
	return "Livefeed is sending them, and you'll be signed out as soon as they are sent. If you sign out now, they are lost."
}

func (d *leaveDialog) Render() app.UI {
	return app.Dialog().ID(leaveDialogID).Class("card leave").
		Aria("labelledby", "leave-title").Aria("describedby", "leave-text").
		On("cancel", d.onCancel).
		Body(
			app.H2().ID("leave-title").Class("leave-title").Text(leaveTitle(d.Unsent)),
			app.P().ID("leave-text").Class("leave-text").Text(leaveText(d.Offline)),
			app.Div().Class("leave-actions").Body(
				app.Button().Class("btn btn-primary").Type("button").AutoFocus(true).
					Text("Stay signed in").OnClick(d.onStay),
				app.Button().Class("btn btn-ghost btn-danger").Type("button").
					Text("Sign out anyway").OnClick(d.onLeave),
			),
		)
}

// onCancel is Escape: the dialog stays open until the page closes it.
func (d *leaveDialog) onCancel(ctx app.Context, e app.Event) {
	e.PreventDefault()
	d.Actor.staySignedIn(ctx)
}

func (d *leaveDialog) onStay(ctx app.Context, e app.Event) { d.Actor.staySignedIn(ctx) }

func (d *leaveDialog) onLeave(ctx app.Context, e app.Event) { d.Actor.signOutAnyway(ctx) }
