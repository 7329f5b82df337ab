package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// signIn asks for a display name.
type signIn struct {
	app.Compo

	Page  *feedPage
	Busy  bool
	Error string

	name   string
	handle string // account-sign-in.go
	code   string
}

func newSignIn(p *feedPage, busy bool, errMsg string) *signIn {
	return &signIn{Page: p, Busy: busy, Error: errMsg}
}

func (s *signIn) Render() app.UI {
	return app.Section().Class("card signin").Aria("labelledby", "signin-title").Body(
		app.Img().Class("signin-logo").Src("/web/icon.svg").Role("presentation").Width(64).Height(64), // decorative (go-app drops an empty alt)
		app.H1().ID("signin-title").Text("Join the feed"),
		app.P().Class("muted").Text("Pick a name people will see next to your posts. No password, no email."),
		app.Form().Class("signin-form").OnSubmit(s.onSubmit).Body(
			app.Label().For("display-name").Class("field-label").Text("Display name"),
			app.Div().Class("signin-row").Body(
				app.Input().ID("display-name").Name("name").Type("text").
					Attr("autocomplete", "nickname").AutoFocus(true).
					Placeholder("e.g. Ada").
					Attr("maxlength", protocol.MaxNameChars*4).
					Aria("invalid", s.Error != "").
					Aria("describedby", "signin-error").
					Value(s.name).
					OnInput(s.onInput),
				app.Button().Class("btn btn-primary").Type("submit").Disabled(s.Busy).Text("Join"),
			),
			app.P().ID("signin-error").Class("field-error").Role("alert").Text(s.Error),
		),
		s.renderAccount(), // account-sign-in.go
	)
}

func (s *signIn) onInput(ctx app.Context, e app.Event) { s.name = ctx.JSSrc().Get("value").String() }

func (s *signIn) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	s.Page.join(ctx, strings.TrimSpace(s.name))
}
