package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// appHeader is the top bar: brand, feed, connection indicator and the
// signed-in user.
type appHeader struct {
	app.Compo

	Actor      headerActor
	Feed       string
	User       protocol.User
	SignedIn   bool
	Connection connectionView
}

// headerActor is what the header asks of the page: the connection
// indicator's actions and signing out (sign-out.go).
type headerActor interface {
	connectionActor
	askSignOut(ctx app.Context)
}

func (h *appHeader) Render() app.UI {
	return app.Header().Class("topbar").Body(
		app.Div().Class("topbar-inner").Body(
			app.A().Class("brand").Href("/").Body(
				// Decorative: the link's name is its text. (go-app drops an
				// empty alt, so the role says it.)
				app.Img().Class("brand-logo").Src("/web/icon.svg").Role("presentation").Width(28).Height(28),
				app.Span().Class("brand-name").Text("Livefeed"),
			),
			app.Span().Class("crumb").Aria("hidden", true).Text("/"),
			app.Span().Class("feed-name").Text("#"+h.Feed),
			app.Div().Class("spacer"),
			app.If(h.SignedIn, func() app.UI {
				return app.Div().Class("topbar-right").Body(
					&connectionIndicator{Actor: h.Actor, View: h.Connection},
					app.Div().Class("me").Body(
						newAvatar(h.User.ID, h.User.Name, "sm"),
						app.Span().Class("me-name").Text(h.User.Name),
						app.Button().ID(signOutID).Class("btn btn-ghost btn-sm").Type("button").Text("Sign out").
							OnClick(h.onSignOut),
					),
				)
			}),
		),
	)
}

func (h *appHeader) onSignOut(ctx app.Context, e app.Event) { h.Actor.askSignOut(ctx) }

// avatar is a coloured circle with a name's initial (text, never markup).
func newAvatar(id, name, size string) app.UI {
	return app.Span().Class("avatar avatar-"+size).Aria("hidden", true).
		Style("--hue", itoa(hue(id))).Text(initial(name))
}
