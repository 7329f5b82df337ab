package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// feedItem is one feed of the feed list.
type feedItem struct {
	Name    string
	Unread  int // posts by others since the reader last had it open
	Current bool
}

// label is the link's accessible name: the feed and its unread count.
func (f feedItem) label() string {
	s := "#" + f.Name
	if f.Unread > 0 {
		s += ", " + plural(f.Unread, "unread post", "unread posts")
	}
	return s
}

// badge is the unread count as shown (99+ past maxBadge).
func (f feedItem) badge() string {
	if f.Unread > maxBadge {
		return itoa(maxBadge) + "+"
	}
	return itoa(f.Unread)
}

// maxBadge is the largest unread count a feed list badge shows in full.
const maxBadge = 99

// navActor is what the feed list asks of the page.
type navActor interface {
	// openFeed adds a feed to the list and opens it; it returns why not.
	openFeed(ctx app.Context, name string) string
	leaveFeed(ctx app.Context, name string)
}

// feedNav is the feed list: the feeds this person opened, with their
// unread counts, links to switch between them without a reload, and a
// form to open (or create) a feed by name. On a narrow screen it folds
// into a "Feeds" menu.
type feedNav struct {
	app.Compo

	Actor navActor
	Items []feedItem

	open  bool // the menu, on a narrow screen
	draft string
	err   string
}

const feedNavPanelID = "feed-nav-panel"

func (n *feedNav) Render() app.UI {
	cls := "feed-nav"
	if n.open {
		cls += " feed-nav-open"
	}
	unread := 0
	for _, it := range n.Items {
		if !it.Current {
			unread += it.Unread
		}
	}
	toggle := "Feeds"
	if unread > 0 {
		toggle += ", " + plural(unread, "unread post", "unread posts")
	}
	return app.Nav().Class(cls).Aria("label", "Feeds").Body(
		app.Button().Class("btn btn-ghost feed-nav-toggle").Type("button").
			Aria("expanded", n.open).Aria("controls", feedNavPanelID).Aria("label", toggle).
			OnClick(n.onToggle).Body(
			app.Span().Text("Feeds"),
			app.If(unread > 0, func() app.UI {
				return app.Span().Class("unread-badge").Aria("hidden", true).Text(itoa(unread))
			}),
			app.Span().Class("feed-nav-caret").Aria("hidden", true).Text("▾"),
		),
		app.Div().ID(feedNavPanelID).Class("feed-nav-panel").Body(
			app.H2().Class("feed-nav-title").Text("Feeds"),
			app.Ul().Class("feed-nav-list").Body(
				app.Range(n.Items).Slice(func(i int) app.UI { return &feedLink{Nav: n, Item: n.Items[i]} }),
			),
			app.Form().Class("feed-nav-form").OnSubmit(n.onSubmit).Body(
				app.Label().For("feed-name").Class("feed-nav-label").Text("Feed name"),
				app.Div().Class("feed-nav-row").Body(
					app.Input().ID("feed-name").Class("input").Type("text").
						Attr("autocomplete", "off").Attr("autocapitalize", "none").Attr("spellcheck", "false").
						Placeholder("team-1").Aria("describedby", "feed-name-error").
						Aria("invalid", n.err != "").Attr("value", n.draft).OnInput(n.onInput),
					app.Button().Class("btn btn-primary").Type("submit").Text("Open feed"),
				),
				app.P().ID("feed-name-error").Class("field-error").Role("alert").Text(n.err),
			),
		),
	)
}

func (n *feedNav) onToggle(ctx app.Context, e app.Event) { n.open = !n.open }

func (n *feedNav) onInput(ctx app.Context, e app.Event) {
	n.draft, n.err = ctx.JSSrc().Get("value").String(), ""
}

func (n *feedNav) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	name := strings.TrimSpace(n.draft)
	if name == "" {
		n.err = "Type the name of a feed to open."
		return
	}
	// People type "Team 1" or "#team": take the name they meant when it
	// is a valid one in lower case without the "#", else say the rule.
	name = strings.TrimPrefix(name, "#")
	if lower := strings.ToLower(name); lower != name && protocol.ValidFeed(lower) {
		name = lower
	}
	if msg := n.Actor.openFeed(ctx, name); msg != "" {
		n.err = msg
		return
	}
	n.draft, n.err, n.open = "", "", false
	setValue("feed-name", "")
}

// followed closes the menu after a link was chosen.
func (n *feedNav) followed() { n.open = false }

// feedLink is one feed of the list: a link, its unread count and, for
// another feed than the one shown, a way to leave it.
type feedLink struct {
	app.Compo

	Nav  *feedNav
	Item feedItem
}

func (l *feedLink) Render() app.UI {
	it := l.Item
	a := app.A().Class("feed-link").Href(FeedPath(it.Name)).Aria("label", it.label()).Title("#"+it.Name).OnClick(l.onClick).Body(
		app.Span().Class("feed-link-name").Text("#"+it.Name),
		app.If(it.Unread > 0, func() app.UI {
			return app.Span().Class("unread-badge").Aria("hidden", true).Text(it.badge())
		}),
	)
	if it.Current {
		a = a.Aria("current", "page")
	}
	return app.Li().Class("feed-nav-item").Body(
		a,
		app.If(!it.Current, func() app.UI {
			return app.Button().Class("btn btn-ghost btn-sm feed-leave").Type("button").
				Aria("label", "Leave #"+it.Name).Title("Leave #" + it.Name).Text("×").OnClick(l.onLeave)
		}),
	)
}

// onClick closes the menu; go-app's own link handling navigates.
func (l *feedLink) onClick(ctx app.Context, e app.Event) { l.Nav.followed() }

func (l *feedLink) onLeave(ctx app.Context, e app.Event) { l.Nav.Actor.leaveFeed(ctx, l.Item.Name) }
