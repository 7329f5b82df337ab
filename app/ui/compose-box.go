package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// counterFrom is how many characters a text must have before the counter
// draws attention to itself, and before its note speaks (counter.go).
const counterFrom = protocol.MaxTextChars - 200

// composeActor is what the compose box asks of the page.
type composeActor interface {
	// post queues a new post; it returns the reason when the text is
	// refused.
	post(ctx app.Context, text string) string
	// typing notes a keystroke (announce.go: new posts wait until the
	// typing stops). It changes nothing on screen.
	typing()
}

// composeBox writes a new post. Ctrl+Enter (⌘+Enter) posts.
//
// The draft, its error and its counter are the box's own state, not the
// page's: a keystroke changes no prop of any other component, so go-app
// renders the page (every event does) but none of the other children,
// the list least of all.
type composeBox struct {
	app.Compo

	Actor composeActor
	User  protocol.User

	draft string
	err   string
	band  int    // counterBand of the draft
	note  string // what the counter's note last said (counterNote)
}

func (c *composeBox) Render() app.UI {
	n := textLen(c.draft)
	over := n > protocol.MaxTextChars
	counterClass := "counter"
	switch {
	case over:
		counterClass += " counter-over"
	case n >= counterFrom:
		counterClass += " counter-near"
	}
	return app.Form().Class("card compose").OnSubmit(c.onSubmit).Body(
		app.Div().Class("compose-row").Body(
			newAvatar(c.User.ID, c.User.Name, "md"),
			app.Div().Class("compose-main").Body(
				app.Label().For("compose-text").Class("sr-only").Text("Write a post"),
				app.Textarea().ID(composeTextID).Class("compose-text").
					Placeholder("What's happening?").Rows(3).
					Aria("describedby", "compose-counter compose-error").
					Aria("invalid", over || c.err != "").
					Attr("value", c.draft).
					OnInput(c.onInput).
					OnKeyDown(c.onKeyDown),
				app.Div().Class("compose-foot").Body(
					app.Span().ID("compose-counter").Class(counterClass).
						Text(itoa(n)+" / "+itoa(protocol.MaxTextChars)),
					app.Span().ID("compose-counter-note").Class("sr-only").Aria("live", "polite").Text(c.note),
					app.Span().Class("kbd-hint").Text("Ctrl+Enter to post"),
					app.Button().Class("btn btn-primary").Type("submit").
						Disabled(n == 0 || over).Text("Post"),
				),
				app.P().ID("compose-error").Class("field-error").Role("alert").Text(c.err),
			),
		),
	)
}

func (c *composeBox) onInput(ctx app.Context, e app.Event) {
	c.setDraft(ctx.JSSrc().Get("value").String())
	c.err = ""
	c.Actor.typing()
}

// setDraft changes the draft; the counter's note changes only when the
// draft comes into another band (counter.go).
func (c *composeBox) setDraft(s string) {
	c.draft = s
	if b := counterBand(textLen(s)); b != c.band {
		c.band, c.note = b, counterNote(textLen(s))
	}
}

func (c *composeBox) onKeyDown(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Enter" && (e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool()) {
		e.PreventDefault()
		c.setDraft(ctx.JSSrc().Get("value").String())
		c.submit(ctx)
	}
}

func (c *composeBox) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.submit(ctx)
}

func (c *composeBox) submit(ctx app.Context) {
	if textLen(c.draft) == 0 {
		return
	}
	if msg := c.Actor.post(ctx, c.draft); msg != "" {
		c.err = msg
		return
	}
	c.setDraft("")
	c.err = ""
	// go-app drops an empty "value" attribute instead of setting it, so
	// the textarea is cleared by hand.
	setValue("compose-text", "")
}

// setValue sets the value of the form field with id.
func setValue(id, v string) {
	if !app.IsClient {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set("value", v)
	}
}

// post is the compose box's Post (composeActor).
func (p *feedPage) post(ctx app.Context, text string) string {
	s := cl.session()
	if s == nil {
		return "You are signed out."
	}
	if _, err := s.Post(p.feed, text); err != nil {
		return errText(err)
	}
	p.sync(ctx)
	return ""
}
