package ui

import (
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// postList shows the feed's posts, newest first.
type postList struct {
	app.Compo

	Actor     postActor
	Posts     []postView
	Fresh     []string // ids of posts shown moments ago (highlighted)
	Editing   string
	EditDraft string
	// Clock is the current time in 15 s steps, for relative times.
	Clock int64
}

func newPostList(a postActor, posts []postView, fresh []string, editing, editDraft string, clock int64) *postList {
	return &postList{Actor: a, Posts: posts, Fresh: fresh, Editing: editing, EditDraft: editDraft, Clock: clock}
}

func (l *postList) Render() app.UI {
	if len(l.Posts) == 0 {
		return app.Div().Class("empty").Body(
			app.P().Class("empty-title").Text("No posts yet"),
			app.P().Class("muted").Text("Say hello: what you post here shows up for everyone in this feed, live."),
		)
	}
	now := time.Unix(l.Clock*15, 0)
	return app.Div().Class("posts").Aria("label", "Posts").Role("feed").Body(
		app.Range(l.Posts).Slice(func(i int) app.UI {
			v := l.Posts[i]
			editing := v.ID != "" && v.ID == l.Editing
			draft := ""
			if editing {
				draft = l.EditDraft
			}
			return newPostCard(l.Actor, v, relTime(v.Created, now),
				v.ID != "" && slices.Contains(l.Fresh, v.ID), editing, draft)
		}),
	)
}
