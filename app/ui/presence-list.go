package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// maxFaces is how many avatars the presence list shows before "+N".
const maxFaces = 5

// presenceList shows "N online" with the names.
type presenceList struct {
	app.Compo

	Users []protocol.User
	Live  bool
}

func newPresenceList(users []protocol.User, live bool) *presenceList {
	return &presenceList{Users: users, Live: live}
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
	return app.Div().Class("presence").Body(
		app.Span().Class("faces").Aria("hidden", true).Body(
			app.Range(faces).Slice(func(i int) app.UI {
				return newAvatar(faces[i].ID, faces[i].Name, "xs")
			}),
		),
		app.Span().Class("presence-count").Body(
			app.Span().Class("live-dot").Aria("hidden", true),
			app.Text(itoa(len(users))+" online"),
		),
		app.If(len(users) > 0, func() app.UI {
			return app.Ul().Class("presence-names").Aria("label", "Online now").Body(
				app.Range(users).Slice(func(i int) app.UI {
					return app.Li().Text(users[i].Name)
				}),
			)
		}),
	)
}
