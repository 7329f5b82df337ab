package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// feedIntro is the feed's title and who is online in it.
type feedIntro struct {
	app.Compo

	Feed   string
	Online protocol.Presence
	Live   bool
}

func newFeedIntro(feed string, online protocol.Presence, live bool) *feedIntro {
	return &feedIntro{Feed: feed, Online: online, Live: live}
}

func (f *feedIntro) Render() app.UI {
	return app.Section().Class("intro").Aria("labelledby", "feed-title").Body(
		app.H1().ID("feed-title").Class("intro-title").Text("#"+f.Feed),
		newPresenceList(f.Online, f.Live),
	)
}
