package ui

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// accountPanel is, above the compose box, who the person is: a guest is
// offered an account that keeps their posts ("Create account" with a
// handle); an account can make a one-time code for another device ("Add a
// device"), "Sign out everywhere", and manage itself (account-settings.go).
// Folded by default (a details element): it is not what the page is for.
type accountPanel struct {
	app.Compo

	Actor     accountActor
	User      protocol.User
	Error     string
	Code      string
	CodeUntil time.Time
	Busy      bool

	handle string
	opened int // times the panel was opened: the settings load again
}

// accountActor is what the panel asks of the page (account.go).
type accountActor interface {
	createAccount(ctx app.Context, handle, name string)
	makeDeviceCode(ctx app.Context)
	signOutEverywhere(ctx app.Context)
	settingsActor
}

func (a *accountPanel) Render() app.UI {
	guest := a.User.Handle == ""
	summary := "Signed in as @" + a.User.Handle
	if guest {
		summary = "You're a guest: keep your name and posts with an account"
	}
	return app.Details().Class("card account-panel").OnToggle(a.onToggle).Body(
		app.Summary().Body(app.Bdi().Text(summary)),
		app.If(guest, func() app.UI {
			return app.Div().Class("account-body").Body(
				app.Label().For("upgrade-handle").Class("field-label").Text("Handle"),
				app.Div().Class("signin-row").Body(
					app.Input().ID("upgrade-handle").Type("text").Attr("autocapitalize", "none").
						Attr("spellcheck", "false").Placeholder("e.g. ada").Attr("maxlength", handleMaxInput).
						Value(a.handle).OnInput(a.onHandle),
					app.Button().Class("btn").Type("button").Disabled(a.Busy).Text("Create account").OnClick(a.onCreate),
				),
			)
		}).Else(func() app.UI {
			return app.Div().Class("account-body").Body(
				app.Div().Class("signin-row").Body(
					app.Button().Class("btn").Type("button").Text("Add a device").OnClick(a.onCode),
					app.Button().Class("btn btn-danger").Type("button").Text("Sign out everywhere").OnClick(a.onEverywhere),
				),
				app.If(a.Code != "", func() app.UI {
					return app.P().Role("status").Body(
						app.Text("On the other device choose \"Add this device\", with handle @"+a.User.Handle+" and code "),
						app.Strong().Class("device-code").Text(a.Code),
						app.Text(" (good until "+a.CodeUntil.Format("15:04")+", once)."),
					)
				}),
				&accountSettings{Actor: a.Actor, User: a.User, Opened: a.opened}, // account-settings.go
			)
		}),
		app.P().Class("field-error").Role("alert").Text(a.Error),
	)
}

func (a *accountPanel) onToggle(ctx app.Context, e app.Event) {
	if ctx.JSSrc().Get("open").Bool() {
		a.opened++
	}
}

func (a *accountPanel) onHandle(ctx app.Context, e app.Event) {
	a.handle = ctx.JSSrc().Get("value").String()
}

func (a *accountPanel) onCreate(ctx app.Context, e app.Event) {
	a.Actor.createAccount(ctx, strings.TrimSpace(a.handle), a.User.Name)
}

func (a *accountPanel) onCode(ctx app.Context, e app.Event)       { a.Actor.makeDeviceCode(ctx) }
func (a *accountPanel) onEverywhere(ctx app.Context, e app.Event) { a.Actor.signOutEverywhere(ctx) }
