package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// What the cards ask of the page (postActor, post-card.go): editing a post
// and reacting to one. Deleting is in undo-delete.go, folding in fold.go,
// the reaction picker in reaction-picker.go. Every one of them takes the
// post's id from the card that asks, as the card shows it now.

func (p *feedPage) startEdit(id, text string) {
	p.editing, p.editDraft = id, text
}

func (p *feedPage) setEditDraft(text string) { p.editDraft = text; p.typing() }

func (p *feedPage) cancelEdit() { p.editing, p.editDraft = "", "" }

// saveEdit sends the edit being made; it returns the reason when the text
// is refused. An unchanged text just closes the editor.
func (p *feedPage) saveEdit(ctx app.Context) string {
	s := cl.session()
	if s == nil || p.editing == "" {
		return ""
	}
	for _, v := range p.posts {
		if v.ID == p.editing && v.Text == strings.TrimSpace(p.editDraft) {
			p.cancelEdit() // unchanged
			return ""
		}
	}
	if _, err := s.Edit(p.feed, p.editing, p.editDraft); err != nil {
		return errText(err)
	}
	p.cancelEdit()
	p.sync(ctx)
	return ""
}

// hasPost reports whether the post with id is shown.
func (p *feedPage) hasPost(id string) bool {
	for _, v := range p.posts {
		if v.ID == id {
			return true
		}
	}
	return false
}

func (p *feedPage) react(ctx app.Context, id, emoji string) {
	if s := cl.session(); s != nil {
		if _, err := s.React(p.feed, id, emoji); err == nil {
			p.sync(ctx)
		}
	}
}
