package ui

import (
	"reflect"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// TestTypingChangesNoOtherProps checks that a keystroke in the compose box
// re-renders nothing else. go-app renders the page on every event (a
// dispatch updates every component above the element), but it renders a
// child again only when one of the child's exported fields changed
// (reflect.DeepEqual, pkg/app/node.go updateComponent). So the page's
// render before and after what a keystroke does to the page (typing) must
// give every child the same fields, the list above all.
func TestTypingChangesNoOtherProps(t *testing.T) {
	p := newFeedPage()
	p.phase = phaseFeed
	p.user = protocol.User{ID: "u1", Name: "Ada"}
	p.posts = []postView{testPost("p1", "one", false, false), testPost("p2", "two", true, false)}
	p.fresh["p2"] = p.now
	p.feeds = []feedItem{{Name: "main", Current: true}}
	p.newCount = 1

	before := renderedCompos(p.Render())
	p.typing() // what composeBox.onInput asks of the page
	after := renderedCompos(p.Render())

	if len(before) != len(after) {
		t.Fatalf("%d components, then %d", len(before), len(after))
	}
	seen := map[string]bool{}
	for i := range before {
		name := reflect.TypeOf(before[i]).Elem().Name()
		seen[name] = true
		if diff := changedProp(before[i], after[i]); diff != "" {
			t.Errorf("%s.%s changes on a keystroke: go-app would render it again", name, diff)
		}
	}
	for _, want := range []string{"postList", "composeBox", "appHeader", "feedNav", "newPostsPill"} {
		if !seen[want] {
			t.Errorf("no %s rendered: %v", want, seen)
		}
	}
}

// renderedCompos returns the components a render holds, outside any
// component (their own renders are theirs), in document order.
func renderedCompos(root app.UI) []app.Composer {
	var out []app.Composer
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		if c, ok := v.Interface().(app.Composer); ok {
			out = append(out, c)
			return
		}
		for _, c := range childrenOf(v) {
			visit(c)
		}
	}
	visit(reflect.ValueOf(root))
	return out
}

// changedProp names the first exported field that differs between a and
// b, by go-app's rule; "" when none does.
func changedProp(a, b app.Composer) string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	if va.Type() != vb.Type() {
		return "(type " + vb.Type().Name() + ")"
	}
	for i := 0; i < va.NumField(); i++ {
		f := va.Type().Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return f.Name
		}
	}
	return ""
}
