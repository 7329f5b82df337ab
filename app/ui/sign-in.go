package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// Signing in: the page's start (resume: the running session, the cached
// sign-in or the server's answer) and the sign-in form (signIn).

// resume starts the page: with the session already running (the page was
// mounted again), with the user the server prerendered the page for, with
// the cached sign-in (checked with the server meanwhile), or after asking
// the server who is signed in.
func (p *feedPage) resume(ctx app.Context) {
	if cl.session() != nil {
		p.user = cl.currentUser()
		p.phase = phaseFeed
		p.loadFeedList()
		p.showFeed(cl.start(p.user, p.feed))
		p.sync(ctx)
		return
	}
	if fp := p.first; fp != nil {
		// The server prerendered the page for this user (first-paint.go):
		// the session cookie was good a moment ago.
		saveCachedUser(fp.User)
		p.startSession(ctx, fp.User)
		return
	}
	if u, ok := loadCachedUser(); ok {
		// Open the cached feed at once, then check with the server.
		p.startSession(ctx, u)
		p.checkSession(ctx) // session-check.go
		return
	}
	p.phase = phaseLoading
	ctx.Async(func() {
		res, err := whoAmI()
		ctx.Dispatch(func(ctx app.Context) {
			if err == nil && res.Status == statusOK {
				if u, ok := decodeUser(res.Body); ok {
					saveCachedUser(u)
					p.startSession(ctx, u)
					return
				}
			}
			p.phase = phaseSignIn
			if err != nil {
				p.joinErr = "Can't reach Livefeed right now. Check your connection, then join."
			}
		})
	})
}

func (p *feedPage) startSession(ctx app.Context, u protocol.User) {
	p.user, p.phase, p.joinErr, p.joining = u, phaseFeed, "", false
	p.baseline, p.editing = false, ""
	clear(p.known)
	p.loadFeedList()
	p.showFeed(cl.start(u, p.feed))
	p.sync(ctx)
}

// join signs in with a display name (the form's Join).
func (p *feedPage) join(ctx app.Context, name string) {
	if p.joining {
		return
	}
	p.joining, p.joinErr = true, ""
	ctx.Async(func() {
		res, err := fetchAPI(methodPost, "/api/session", map[string]string{"name": name})
		ctx.Dispatch(func(ctx app.Context) {
			p.joining = false
			switch {
			case err != nil:
				p.joinErr = "Can't reach Livefeed right now. Check your connection and try again."
			case res.Status == statusOK:
				u, ok := decodeUser(res.Body)
				if !ok {
					p.joinErr = "The server sent an unexpected answer. Please try again."
					return
				}
				saveCachedUser(u)
				p.startSession(ctx, u)
			default:
				p.joinErr = apiErrorText(res) // messages.go
			}
		})
	})
}

// joiner is what the sign-in form asks of the page.
type joiner interface {
	join(ctx app.Context, name string)
	accountJoiner // account-sign-in.go
}

// signIn asks for a display name. The name typed is its own state; the
// page gives it whether a sign-in is under way (Busy) and why the last one
// failed (Error).
type signIn struct {
	app.Compo

	Actor joiner
	Busy  bool
	Error string

	name   string
	handle string // account-sign-in.go
	code   string
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
	s.Actor.join(ctx, strings.TrimSpace(s.name))
}
