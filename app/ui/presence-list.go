package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// maxFaces is how many avatars the presence list shows before "+N".
const maxFaces = 5

// presenceList shows "N online" with the names the server listed (at most
// protocol.MaxPresenceList) and "and K more" for the others.
type presenceList struct {
	app.Compo

	Users []protocol.User
	Count int // users online, listed or not
	Live  bool
}

func newPresenceList(p protocol.Presence, live bool) *presenceList {
	return &presenceList{Users: p.Online, Count: p.Total(), Live: live}
}

func (l *presenceList) Render() app.UI {
	if !l.Live {
		return app.Div().Class("presence presence-stale").Body(
			app.Span().Class("presence-count").Text("Who's online shows when you're connected"),
		)
	}
	users := l.Users
	faces := users
	if len(faces) > maxFaces {
		faces = faces[:maxFaces]
	}
	more := l.Count - len(users)
	return app.Div().Class("presence").Body(
		app.Span().Class("faces").Aria("hidden", true).Body(
			app.Range(faces).Slice(func(i int) app.UI {
				return newAvatar(faces[i].ID, faces[i].Name, "xs")
			}),
		),
		app.Span().Class("presence-count").Body(
			app.Span().Class("live-dot").Aria("hidden", true),
			app.Text(itoa(l.Count)+" online"),
		),
		app.If(len(users) > 0, func() app.UI {
			return app.Ul().Class("presence-names").Aria("label", "Online now").Body(
				app.Range(users).Slice(func(i int) app.UI {
					return app.Li().Text(users[i].Name)
				}),
			)
		}),
		app.If(more > 0, func() app.UI {
			return app.Span().Class("presence-more").Text("and " + itoa(more) + " more")
		}),
	)
}
