package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// go-app v10.1.11 keeps the event handler of an element it reuses when the
// new handler comes from the same code (pkg/app/event.go, eventHandler.Equal
// compares function pointers), so a closure rendered for one post stays on
// the card after the list has moved another post into it. The tests here
// mount a real list, shift it, and fire the handlers go-app actually kept.

func TestHandlersAreMethodsNotClosures(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !isEventSetter(sel.Sel.Name) {
				return true
			}
			if _, lit := call.Args[0].(*ast.FuncLit); lit {
				t.Errorf("%s: %s is given a function literal; use a method of the component, which reads its current fields when the event fires",
					fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// isEventSetter reports whether name is a go-app event setter (OnClick,
// OnInput, ...), not a lifecycle method such as OnMount.
func isEventSetter(name string) bool {
	switch name {
	case "OnMount", "OnNav", "OnDismount", "OnUpdate", "OnAppUpdate", "OnResize", "OnAppInstallChange", "OnInit", "OnPreRender":
		return false
	}
	return strings.HasPrefix(name, "On") && len(name) > 2
}

// recordingActor records what the cards ask for; like the page, it keeps
// which long posts are unfolded and which picker is open, by post.
type recordingActor struct {
	calls    []string
	unfold   map[string]bool
	pickerID string
}

func (r *recordingActor) startEdit(id, text string)               { r.add("edit", id, text) }
func (r *recordingActor) setEditDraft(text string)                {}
func (r *recordingActor) cancelEdit()                             {}
func (r *recordingActor) saveEdit(ctx app.Context) string         { return "" }
func (r *recordingActor) deletePost(ctx app.Context, id string)   { r.add("delete", id) }
func (r *recordingActor) undoDelete(ctx app.Context, id string)   { r.add("undo", id) }
func (r *recordingActor) react(ctx app.Context, id, emoji string) { r.add("react", id, emoji) }
func (r *recordingActor) dismiss(ctx app.Context, op string)      { r.add("dismiss", op) }
func (r *recordingActor) loadOlder(ctx app.Context)               { r.add("load older") }
func (r *recordingActor) add(s ...string)                         { r.calls = append(r.calls, strings.Join(s, " ")) }
func (r *recordingActor) unfolded(key string) bool                { return r.unfold[key] }
func (r *recordingActor) pickerOpen(id string) bool               { return id != "" && r.pickerID == id }
func (r *recordingActor) setPicker(id string)                     { r.pickerID = id }

func (r *recordingActor) setUnfolded(key string, open bool) {
	if r.unfold == nil {
		r.unfold = map[string]bool{}
	}
	r.unfold[key] = open
	if open {
		r.add("unfold", key)
	} else {
		r.add("fold", key)
	}
}

// listHarness mounts a post list whose posts the test replaces.
type listHarness struct {
	app.Compo

	Actor listActor
	Posts []postView
	ctx   app.Context
}

// OnPreRender runs natively (OnMount only in a browser): it keeps the
// harness's context for the test to dispatch through.
func (h *listHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }
func (h *listHarness) Render() app.UI {
	return &postList{Actor: h.Actor, Posts: h.Posts, AtTop: true, History: historyState{Begins: true}}
}

func testPost(id, text string, own bool, deleting bool) postView {
	pos, _ := strconv.ParseUint(strings.TrimPrefix(id, "p"), 10, 64)
	return postView{ID: id, Pos: pos, Author: "Wanda", AuthorID: "u-w", Text: text, Created: 1, Own: own, Deleting: deleting,
		Reactions: reactionViews(nil, protocol.User{ID: "u-w"}, nil)}
}

// longText is a post text that folds behind "Show more".
func longText(first string) string { return first + strings.Repeat("\nand on", foldLines) }

// listShift is a change of the list under the cards: the posts before and
// after.
type listShift struct {
	name          string
	before, after []postView
}

// listShifts are the ways a list moves posts to other cards. W-two and
// Y-nine are long (they fold); the others are short, so a long post moves
// into a short one's card and back.
func listShifts() []listShift {
	w1, w2 := testPost("p1", "W-one", true, false), testPost("p2", longText("W-two"), true, false)
	x3 := testPost("p3", "X-three", false, false)
	y9, z17 := testPost("p9", longText("Y-nine"), true, false), testPost("p17", "Z-seventeen", false, false)
	return []listShift{
		{"a post added on top", []postView{w2, w1}, []postView{x3, w2, w1}},
		{"a post above deleted", []postView{x3, w2, w1}, []postView{w2, w1}},
		{"a snapshot replacing the list", []postView{w1}, []postView{w2, w1}},
		{"older posts appended below", []postView{w2}, []postView{x3, w2, w1}},
		{"a post above being deleted (undo shown)", []postView{w2, w1}, []postView{testPost("p2", w2.Text, true, true), w1}},
		// Posts far apart in the log sit in different blocks (list-layout.go).
		{"blocks: a post added on top", []postView{y9, w1}, []postView{z17, y9, w1}},
		{"blocks: a post above deleted", []postView{z17, y9, w1}, []postView{y9, w1}},
		{"blocks: a snapshot replacing the list", []postView{z17}, []postView{y9, w1}},
		{"blocks: a page of older posts", []postView{z17}, []postView{z17, y9, w1}},
	}
}

func TestCardActsOnThePostItShowsAfterTheListShifts(t *testing.T) {
	for _, s := range listShifts() {
		t.Run(s.name, func(t *testing.T) {
			actor := &recordingActor{}
			h := &listHarness{Actor: actor, Posts: s.before}
			e := mount(t, h)
			h.ctx.Dispatch(func(app.Context) { h.Posts = s.after })
			e.ConsumeAll()

			cards := mountedArticles(t, h)
			if len(cards) != len(s.after) {
				t.Fatalf("%d cards mounted, want %d", len(cards), len(s.after))
			}
			for i, want := range s.after {
				card := cards[i]
				if want.Deleting {
					fire(t, h.ctx, card, "Undo")
					continue
				}
				if !strings.Contains(textOf(card), want.Text) {
					t.Fatalf("card %d shows %q, want %q", i, textOf(card), want.Text)
				}
				// A post with no reactions shows none: 🎉 is in the
				// picker, which opens for this post alone.
				if n := len(buttonsNamed(card, "🎉")); n != 0 {
					t.Fatalf("card %d: %d 🎉 buttons before any reaction", i, n)
				}
				press(t, e, h.ctx, card, "Add reaction")
				if n := len(elementsWithRole(reflect.ValueOf(h), "toolbar")); n != 1 {
					t.Fatalf("%d pickers open, want 1", n)
				}
				press(t, e, h.ctx, card, "React with 🎉")
				if n := len(elementsWithRole(reflect.ValueOf(h), "toolbar")); n != 0 {
					t.Fatalf("%d pickers open after choosing, want 0", n)
				}
				if foldable(want.Text) {
					press(t, e, h.ctx, card, "Show more")
					if len(buttonsNamed(card, "Show less")) != 1 {
						t.Errorf("card %d: no Show less after Show more", i)
					}
				} else if n := len(buttonsNamed(card, "Show more")); n != 0 {
					t.Errorf("card %d: a short post has Show more", i)
				}
				if want.Own {
					fire(t, h.ctx, card, "Edit")
					fire(t, h.ctx, card, "Delete")
				}
			}
			var wantCalls []string
			for _, p := range s.after {
				if p.Deleting {
					wantCalls = append(wantCalls, "undo "+p.ID)
					continue
				}
				wantCalls = append(wantCalls, "react "+p.ID+" 🎉")
				if foldable(p.Text) {
					wantCalls = append(wantCalls, "unfold "+p.ID)
				}
				if p.Own {
					wantCalls = append(wantCalls, "edit "+p.ID+" "+p.Text, "delete "+p.ID)
				}
			}
			if got, want := strings.Join(actor.calls, "\n"), strings.Join(wantCalls, "\n"); got != want {
				t.Errorf("actions reached:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// The reader's state in a card (a long post unfolded, the open picker)
// belongs to the post: after a shift it is on the card that shows the post
// now, and acts on that post.
func TestOpenPickerAndUnfoldFollowThePostWhenTheListShifts(t *testing.T) {
	for _, s := range listShifts() {
		// The post opened is the first of the list before that stays
		// and is not being deleted after.
		var target postView
		for _, b := range s.before {
			for _, a := range s.after {
				if a.ID == b.ID && !a.Deleting && target.ID == "" {
					target = b
				}
			}
		}
		if target.ID == "" {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			actor := &recordingActor{}
			h := &listHarness{Actor: actor, Posts: s.before}
			e := mount(t, h)
			before := cardShowing(t, h, target)
			if foldable(target.Text) {
				press(t, e, h.ctx, before, "Show more")
			}
			press(t, e, h.ctx, before, "Add reaction")
			h.ctx.Dispatch(func(app.Context) { h.Posts = s.after })
			e.ConsumeAll()

			for _, card := range mountedArticles(t, h) {
				mine := strings.Contains(textOf(card), target.Text) && len(buttonsNamed(card, "Undo")) == 0
				if got := len(buttonsNamed(card, "React with 🎉")); got != map[bool]int{true: 1}[mine] {
					t.Errorf("card %q: %d open pickers", textOf(card), got)
				}
				if got := len(buttonsNamed(card, "Show less")); got != map[bool]int{true: 1}[mine && foldable(target.Text)] {
					t.Errorf("card %q: %d Show less", textOf(card), got)
				}
			}
			card := cardShowing(t, h, target)
			press(t, e, h.ctx, card, "React with 🎉")
			want := "react " + target.ID + " 🎉"
			if foldable(target.Text) {
				want = "unfold " + target.ID + "\n" + want
			}
			if got := strings.Join(actor.calls, "\n"); got != want {
				t.Errorf("actions reached:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// cardShowing is the one mounted card that shows post v.
func cardShowing(t *testing.T, root app.UI, v postView) reflect.Value {
	t.Helper()
	var hit []reflect.Value
	for _, card := range mountedArticles(t, root) {
		if strings.Contains(textOf(card), v.Text) && len(buttonsNamed(card, "Undo")) == 0 {
			hit = append(hit, card)
		}
	}
	if len(hit) != 1 {
		t.Fatalf("%d cards show %q", len(hit), v.Text)
	}
	return hit[0]
}

func TestDismissActsOnTheNoticeItShows(t *testing.T) {
	// The rejected list has the same shape: Dismiss on the notice that
	// moved up must dismiss that notice's action.
	actor := &recordingActor{}
	h := &noticeHarness{Actor: actor, Items: []rejectedView{{Op: "o1", What: "one"}, {Op: "o2", What: "two"}}}
	e := mount(t, h)
	h.ctx.Dispatch(func(app.Context) { h.Items = h.Items[1:] })
	e.ConsumeAll()
	var buttons []reflect.Value
	walk(reflect.ValueOf(h), func(el reflect.Value) {
		if field(el, "tag").String() == "button" {
			buttons = append(buttons, el)
		}
	})
	if len(buttons) != 1 {
		t.Fatalf("%d buttons", len(buttons))
	}
	n := mountedCompo[*rejectedNotice](t, h)
	if n.Item.Op != "o2" {
		t.Fatalf("notice shows %q", n.Item.Op)
	}
	handlerOf(t, buttons[0], "click")(h.ctx, app.Event{Value: app.Undefined()})
	if got := strings.Join(actor.calls, ","); got != "dismiss o2" {
		t.Errorf("dismissed %q, want o2", got)
	}
}

type noticeHarness struct {
	app.Compo

	Actor noticeActor
	Items []rejectedView
	ctx   app.Context
}

func (h *noticeHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }
func (h *noticeHarness) Render() app.UI              { return &rejectedList{Actor: h.Actor, Items: h.Items} }

// mount loads root into a test engine and renders it.
func mount(t *testing.T, root app.Composer) app.TestEngine {
	t.Helper()
	e := app.NewTestEngine()
	if err := e.Load(root); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	return e
}

// mountedArticles returns the mounted <article> elements under root.
func mountedArticles(t *testing.T, root app.UI) []reflect.Value {
	var out []reflect.Value
	walk(reflect.ValueOf(root), func(el reflect.Value) {
		if field(el, "tag").String() == "article" {
			out = append(out, el)
		}
	})
	return out
}

// mountedCompo returns the first mounted component of type T under root.
func mountedCompo[T app.Composer](t *testing.T, root app.UI) T {
	var found T
	var ok bool
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		if ok {
			return
		}
		if c, is := v.Interface().(T); is {
			found, ok = c, true
			return
		}
		for _, c := range childrenOf(v) {
			visit(c)
		}
	}
	visit(reflect.ValueOf(root))
	if !ok {
		t.Fatalf("no mounted %T", found)
	}
	return found
}

// fire runs the click handler go-app keeps on the button under card whose
// text starts with label, as a click in the browser would.
func fire(t *testing.T, ctx app.Context, card reflect.Value, label string) {
	t.Helper()
	var hit []reflect.Value
	walk(card, func(el reflect.Value) {
		if field(el, "tag").String() == "button" && strings.HasPrefix(strings.TrimSpace(textOf(el)), label) {
			hit = append(hit, el)
		}
	})
	if len(hit) != 1 {
		t.Fatalf("%d %q buttons in %q", len(hit), label, textOf(card))
	}
	handlerOf(t, hit[0], "click")(ctx, app.Event{Value: app.Undefined()})
}

// press clicks the button under card whose accessible name (aria-label,
// else its text) starts with name, as the browser would: the handler
// go-app keeps runs in a dispatch from the button, which updates the
// components it is in, then the engine renders.
func press(t *testing.T, e app.TestEngine, ctx app.Context, card reflect.Value, name string) {
	t.Helper()
	hit := buttonsNamed(card, name)
	if len(hit) != 1 {
		t.Fatalf("%d %q buttons in %q", len(hit), name, textOf(card))
	}
	h := handlerOf(t, hit[0].el, "click")
	withSource(ctx, hit[0].ui).Dispatch(func(ctx app.Context) { h(ctx, app.Event{Value: app.Undefined()}) })
	e.ConsumeAll()
}

// mountedNode is a mounted HTML element: the UI go-app holds and its
// htmlElement.
type mountedNode struct {
	ui app.UI
	el reflect.Value
}

// buttonsNamed returns the mounted buttons under v whose aria-label (else
// text) starts with name.
func buttonsNamed(v reflect.Value, name string) []mountedNode {
	var out []mountedNode
	walkNodes(v, func(n mountedNode) {
		if field(n.el, "tag").String() != "button" {
			return
		}
		label := strings.TrimSpace(textOf(n.el))
		if l := attr(n.el, "aria-label"); l != "" {
			label = l
		}
		if strings.HasPrefix(label, name) {
			out = append(out, n)
		}
	})
	return out
}

// elementsWithRole returns the mounted elements under v with that role.
func elementsWithRole(v reflect.Value, role string) []mountedNode {
	var out []mountedNode
	walkNodes(v, func(n mountedNode) {
		if attr(n.el, "role") == role {
			out = append(out, n)
		}
	})
	return out
}

// attr is the value of an attribute of a mounted element.
func attr(el reflect.Value, name string) string {
	v := field(el, "attributes").MapIndex(reflect.ValueOf(name))
	if !v.IsValid() {
		return ""
	}
	return v.String()
}

// walkNodes calls f for every mounted HTML element under v (not v
// itself), in document order.
func walkNodes(v reflect.Value, f func(mountedNode)) {
	for _, c := range childrenOf(v) {
		if el := elementOf(c); el.IsValid() {
			f(mountedNode{ui: c.Interface().(app.UI), el: el})
		}
		walkNodes(c, f)
	}
}

// withSource is ctx as the context of the mounted element ui, which is
// what go-app hands an event handler of ui.
func withSource(ctx app.Context, ui app.UI) app.Context {
	f := reflect.ValueOf(&ctx).Elem().FieldByName("sourceElement")
	readable(f).Set(reflect.ValueOf(&ui).Elem())
	return ctx
}

// handlerOf returns the Go handler mounted for event on an element.
func handlerOf(t *testing.T, el reflect.Value, event string) app.EventHandler {
	t.Helper()
	hs := field(el, "eventHandlers")
	h := hs.MapIndex(reflect.ValueOf(event))
	if !h.IsValid() {
		t.Fatalf("no %s handler", event)
	}
	hv := reflect.New(h.Type()).Elem()
	hv.Set(h)
	return readable(hv.FieldByName("goHandler")).Interface().(app.EventHandler)
}

// walk calls f for every mounted HTML element under v (a component, an
// element or a text), in document order.
func walk(v reflect.Value, f func(el reflect.Value)) {
	if el := elementOf(v); el.IsValid() {
		f(el)
	}
	for _, c := range childrenOf(v) {
		walk(c, f)
	}
}

// elementOf returns the htmlElement struct of an HTML node, or an invalid
// value for anything else.
func elementOf(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	if e := v.FieldByName("htmlElement"); e.IsValid() {
		return e
	}
	return reflect.Value{}
}

// childrenOf returns the mounted children of a node: a component's root,
// an element's children.
func childrenOf(v reflect.Value) []reflect.Value {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	if c := v.FieldByName("Compo"); c.IsValid() {
		root := field(c, "rootElement")
		if root.IsNil() {
			return nil
		}
		return []reflect.Value{root}
	}
	e := v
	if v.Type().Name() != "htmlElement" {
		e = v.FieldByName("htmlElement")
	}
	if e.IsValid() {
		kids := field(e, "children")
		out := make([]reflect.Value, kids.Len())
		for i := range out {
			out[i] = kids.Index(i)
		}
		return out
	}
	return nil
}

// textOf is the text under a node.
func textOf(v reflect.Value) string {
	var b strings.Builder
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		x := v
		for x.Kind() == reflect.Interface || x.Kind() == reflect.Pointer {
			if x.IsNil() {
				return
			}
			x = x.Elem()
		}
		if x.Kind() == reflect.Struct && x.Type().Name() == "text" {
			b.WriteString(field(x, "value").String())
			return
		}
		for _, c := range childrenOf(v) {
			visit(c)
		}
	}
	visit(v)
	return b.String()
}

// field reads an unexported field of a go-app node.
func field(v reflect.Value, name string) reflect.Value {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if !v.CanAddr() {
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		v = c
	}
	return readable(v.FieldByName(name))
}

func readable(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}
