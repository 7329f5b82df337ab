package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The sign-in page's account part, below the guest's "Join": a handle
// with the display name above makes an account with a passkey ("Create
// account"); "Sign in with a passkey" needs nothing typed; a passkey for
// this device is added to an account with its handle and a one-time code
// from a signed-in device ("Add this device").

// accountJoiner is what the account part of the sign-in form asks of the
// page (account.go).
type accountJoiner interface {
	createAccount(ctx app.Context, handle, name string)
	signInWithPasskey(ctx app.Context)
	addThisDevice(ctx app.Context, handle, code string)
}

// handleMaxInput bounds what the Handle field takes (the server counts
// characters: auth.MaxHandleChars).
const handleMaxInput = 30 * 4

func (s *signIn) renderAccount() app.UI {
	return app.Div().Class("signin-account").Body(
		app.H2().Class("signin-sub").Text("Or keep your name with an account"),
		app.P().Class("muted").Text("An account has a unique @handle and signs in with a passkey on any of your devices."),
		app.Label().For("account-handle").Class("field-label").Text("Handle"),
		app.Input().ID("account-handle").Name("handle").Type("text").
			Attr("autocomplete", "username webauthn").Attr("autocapitalize", "none").
			Attr("spellcheck", "false").Placeholder("e.g. ada").
			Attr("maxlength", handleMaxInput).Value(s.handle).OnInput(s.onHandle),
		app.Div().Class("signin-row signin-buttons").Body(
			app.Button().Class("btn").Type("button").Disabled(s.Busy).Text("Create account").OnClick(s.onCreate),
			app.Button().Class("btn").Type("button").Disabled(s.Busy).Text("Sign in with a passkey").OnClick(s.onPasskey),
		),
		app.Details().Class("signin-device").Body(
			app.Summary().Text("Add this device to your account"),
			app.P().Class("muted").Text("On a signed-in device choose \"Add a device\", then type its handle above and the code here."),
			app.Label().For("device-code").Class("field-label").Text("One-time code"),
			app.Div().Class("signin-row").Body(
				app.Input().ID("device-code").Name("code").Type("text").Attr("autocomplete", "one-time-code").
					Attr("autocapitalize", "characters").Attr("maxlength", 32).Value(s.code).OnInput(s.onCode),
				app.Button().Class("btn").Type("button").Disabled(s.Busy).Text("Add this device").OnClick(s.onAddDevice),
			),
		),
	)
}

func (s *signIn) onHandle(ctx app.Context, e app.Event) { s.handle = ctx.JSSrc().Get("value").String() }
func (s *signIn) onCode(ctx app.Context, e app.Event)   { s.code = ctx.JSSrc().Get("value").String() }

func (s *signIn) onCreate(ctx app.Context, e app.Event) {
	s.Actor.createAccount(ctx, strings.TrimSpace(s.handle), strings.TrimSpace(s.name))
}

func (s *signIn) onPasskey(ctx app.Context, e app.Event) { s.Actor.signInWithPasskey(ctx) }

func (s *signIn) onAddDevice(ctx app.Context, e app.Event) {
	s.Actor.addThisDevice(ctx, strings.TrimSpace(s.handle), strings.TrimSpace(s.code))
}
