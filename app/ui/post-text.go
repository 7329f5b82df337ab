package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The text of a post: its links (links.go) and, for a long post, the fold
// (fold.go).

// linkRel is the rel of a link in a post: the page it opens cannot reach
// this one (noopener), is not told where the reader came from
// (noreferrer), and search engines know that the link is the user's, not
// ours (nofollow ugc).
const linkRel = "noopener noreferrer nofollow ugc"

// renderText is the post's text: text nodes and links, in a paragraph
// that is clamped to foldShownLines while folded.
func (c *postCard) renderText(folded bool) app.UI {
	v := c.Post
	cls := "post-text"
	if folded {
		cls += " post-folded"
	}
	// dir=auto: Arabic or Hebrew text reads right to left.
	return app.P().ID(postTextID(v)).Class(cls).Dir("auto").Body(textNodes(v.Text)...)
}

// textNodes is text as go-app nodes: a text node for each piece of plain
// text, an <a> for each link (never HTML: the browser parses none of it).
func textNodes(text string) []app.UI {
	parts := splitLinks(text)
	nodes := make([]app.UI, len(parts))
	for i, p := range parts {
		if p.Href == "" {
			nodes[i] = app.Text(p.Text)
			continue
		}
		nodes[i] = app.A().Href(attrText(p.Href)).Rel(linkRel).Target("_blank").Text(p.Text)
	}
	return nodes
}

// renderFold is the "Show more" / "Show less" button of a long post.
func (c *postCard) renderFold(folded bool) app.UI {
	label := "Show less"
	if folded {
		label = "Show more"
	}
	return app.Button().Class("btn btn-ghost btn-sm post-fold").Type("button").
		Aria("expanded", !folded).Aria("controls", postTextID(c.Post)).
		OnClick(c.onFold).Text(label)
}

// onFold unfolds or folds back the post the card shows now.
func (c *postCard) onFold(ctx app.Context, e app.Event) {
	key := foldKey(c.Post)
	open := !c.Actor.unfolded(key)
	c.Actor.setUnfolded(key, open)
	if !open {
		// Folding back a long post read to its end would leave the reader
		// far below it: keep the button in view.
		button := ctx.JSSrc()
		ctx.Defer(func(app.Context) {
			button.Call("scrollIntoView", map[string]any{"block": "nearest"})
		})
	}
}

// postTextID is the element id of a post's text: by its id, or its op id
// while it is not in the feed yet.
func postTextID(v postView) string {
	if v.ID == "" && v.Op != "" {
		return "text-op-" + v.Op
	}
	return textID(v.ID)
}
