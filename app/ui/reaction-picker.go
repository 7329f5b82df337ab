package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// reactionPicker is the open "Add reaction" picker of a post: a toolbar of
// every allowed emoji (protocol.Reactions), each a button ("React with
// 🎉", aria-pressed when the user gave it). It exists only while open:
//
//   - opening it moves the focus to its first emoji; the arrow keys, Home
//     and End move between emojis (one tab stop, the toolbar pattern);
//   - choosing an emoji reacts (or takes the user's reaction back), closes
//     it and gives the focus back to "Add reaction"; so does Escape;
//   - Tab, the focus moving out of it, or a pointer pressed outside it,
//     closes it: so does opening another post's picker (the page keeps one
//     open post id, so only one is open at a time).
//
// The document listener for presses outside is added when it mounts and
// removed and released when it goes; no card has a listener of its own.
type reactionPicker struct {
	app.Compo

	Actor     postActor
	PostID    string
	Reactions []reactionView // the post's, for aria-pressed

	// focus is the index of the emoji that has the tab stop.
	focus  int
	root   app.Value
	downFn app.Func
}

func newReactionPicker(a postActor, postID string, rs []reactionView) *reactionPicker {
	return &reactionPicker{Actor: a, PostID: postID, Reactions: rs}
}

func (p *reactionPicker) Render() app.UI {
	return app.Div().ID(pickerID(p.PostID)).Class("react-picker").Role("toolbar").
		Aria("label", "Pick a reaction").
		OnKeyDown(p.onKey).On("focusout", p.onFocusOut).Body(
		app.Range(protocol.Reactions).Slice(func(i int) app.UI {
			e := protocol.Reactions[i]
			return newPickerEmoji(p.Actor, p.PostID, e, i, i == p.focus, p.mine(e))
		}),
	)
}

// mine reports whether the user gave emoji to the post.
func (p *reactionPicker) mine(emoji string) bool {
	for _, r := range p.Reactions {
		if r.Emoji == emoji {
			return r.Mine
		}
	}
	return false
}

func (p *reactionPicker) OnMount(ctx app.Context) {
	p.root = ctx.JSSrc()
	p.focusEmoji(p.focus)
	p.downFn = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		t := args[0].Get("target")
		if contains(p.root, t) || contains(p.addButton(), t) {
			return nil // inside, or on "Add reaction", which closes it itself
		}
		ctx.Dispatch(p.close)
		return nil
	})
	app.Window().Get("document").Call("addEventListener", "pointerdown", p.downFn, true)
}

func (p *reactionPicker) OnDismount() {
	if p.downFn != nil {
		app.Window().Get("document").Call("removeEventListener", "pointerdown", p.downFn, true)
		p.downFn.Release()
		p.downFn = nil
	}
}

// close closes the picker if it is the open one (another may have opened
// meanwhile).
func (p *reactionPicker) close(ctx app.Context) {
	if p.Actor.pickerOpen(p.PostID) {
		p.Actor.setPicker("")
	}
}

// onKey closes the picker on Escape and moves between emojis with the
// arrow keys, Home and End.
func (p *reactionPicker) onKey(ctx app.Context, e app.Event) {
	n := len(protocol.Reactions)
	at := p.focused()
	switch e.Get("key").String() {
	case "Escape":
		e.PreventDefault()
		p.close(ctx)
		if add := p.addButton(); add.Truthy() {
			add.Call("focus")
		}
		return
	case "ArrowRight", "ArrowDown":
		at = (at + 1) % n
	case "ArrowLeft", "ArrowUp":
		at = (at + n - 1) % n
	case "Tab":
		// Out of the picker, forward: closed (it may be the last thing on
		// the page, where the focus leaves it for the browser's own
		// controls and no element receives it). Backward, the focus goes
		// to "Add reaction", which keeps it open.
		if !e.Get("shiftKey").Bool() {
			p.close(ctx)
		}
		return
	case "Home":
		at = 0
	case "End":
		at = n - 1
	default:
		return
	}
	e.PreventDefault()
	p.focus = at
	p.focusEmoji(at)
}

// onFocusOut closes the picker when the focus moves to something outside
// it other than "Add reaction" (a Tab out of it, a click on another
// control). A focus leaving the window (relatedTarget null) keeps it open.
func (p *reactionPicker) onFocusOut(ctx app.Context, e app.Event) {
	to := e.Get("relatedTarget")
	if !to.Truthy() || contains(ctx.JSSrc(), to) || contains(p.addButton(), to) {
		return
	}
	p.close(ctx)
}

// focused is the index of the emoji that has the focus, or of the tab
// stop if none has.
func (p *reactionPicker) focused() int {
	active := app.Window().Get("document").Get("activeElement")
	if active.Truthy() {
		id := active.Get("id").String()
		for i := range protocol.Reactions {
			if id == pickID(p.PostID, i) {
				return i
			}
		}
	}
	return p.focus
}

func (p *reactionPicker) focusEmoji(i int) {
	if el := app.Window().GetElementByID(pickID(p.PostID, i)); el.Truthy() {
		el.Call("focus")
	}
}

// contains reports whether the node el (if any) contains the node n.
func contains(el, n app.Value) bool { return el.Truthy() && el.Call("contains", n).Bool() }

func (p *reactionPicker) addButton() app.Value {
	return app.Window().GetElementByID(addReactionID(p.PostID))
}

// pickerEmoji is one emoji of the picker. It reads the post and the emoji
// from its fields when chosen.
type pickerEmoji struct {
	app.Compo

	Actor   postActor
	PostID  string
	Emoji   string
	Index   int
	TabStop bool
	Mine    bool
}

func newPickerEmoji(a postActor, postID, emoji string, i int, tabStop, mine bool) *pickerEmoji {
	return &pickerEmoji{Actor: a, PostID: postID, Emoji: emoji, Index: i, TabStop: tabStop, Mine: mine}
}

func (b *pickerEmoji) Render() app.UI {
	tab := -1
	if b.TabStop {
		tab = 0
	}
	return app.Button().ID(pickID(b.PostID, b.Index)).Class("react-pick").Type("button").
		TabIndex(tab).Aria("label", "React with "+b.Emoji).
		Aria("pressed", b.Mine).OnClick(b.onClick).Text(b.Emoji)
}

// onClick gives (or takes back) the user's reaction, closes the picker
// and gives the focus back to "Add reaction".
func (b *pickerEmoji) onClick(ctx app.Context, e app.Event) {
	b.Actor.react(ctx, b.PostID, b.Emoji)
	b.Actor.setPicker("")
	if el := app.Window().GetElementByID(addReactionID(b.PostID)); el.Truthy() {
		el.Call("focus")
	}
}

// pickerID is the element id of a post's open picker.
func pickerID(postID string) string { return "picker-" + postID }

// pickID is the element id of emoji i of a post's picker.
func pickID(postID string, i int) string { return "pick-" + postID + "-" + itoa(i) }

// pickerOpen reports whether the reaction picker of post id of the page's
// feed is open.
func (p *feedPage) pickerOpen(id string) bool {
	return id != "" && p.pickerPost == p.feed+"/"+id
}

// setPicker opens the reaction picker of post id of the page's feed,
// closing any other; "" closes the open one.
func (p *feedPage) setPicker(id string) {
	if id == "" {
		p.pickerPost = ""
		return
	}
	p.pickerPost = p.feed + "/" + id
}
