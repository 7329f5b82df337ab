package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

func TestReactedBy(t *testing.T) {
	for _, c := range []struct {
		names []string
		count int
		want  string
	}{
		{nil, 0, ""},
		{nil, 3, "3 people"},
		{nil, 1, "1 person"},
		{[]string{"Ann"}, 1, "Ann"},
		{[]string{"You", "Ann"}, 2, "You and Ann"},
		{[]string{"Ann", "Bob", "Cy"}, 3, "Ann, Bob and Cy"},
		{[]string{"Ann"}, 2, "Ann and 1 other"},
		{[]string{"Ann", "Bob"}, 7, "Ann, Bob and 5 others"},
		{[]string{"Ann", "Bob"}, 1, "Ann and Bob"}, // a count behind the list (pending)
	} {
		if got := reactedBy(c.names, c.count); got != c.want {
			t.Errorf("reactedBy(%q, %d) = %q, want %q", c.names, c.count, got, c.want)
		}
	}
}

func TestReactionNamesAtMaxReactionUsers(t *testing.T) {
	var users []protocol.User
	for i := range protocol.MaxReactionUsers {
		users = append(users, protocol.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("N", i)})
	}
	// The snapshot lists MaxReactionUsers of 15; the user is among them.
	me := users[3]
	rs := reactionViews([]protocol.Reaction{{Emoji: "🎉", Users: users, Count: 15}}, me, nil)
	if len(rs) != 1 || rs[0].Count != 15 || !rs[0].Mine {
		t.Fatalf("%+v", rs)
	}
	names := rs[0].Names
	if len(names) != protocol.MaxReactionUsers || names[0] != "You" || strings.Contains(strings.Join(names, ","), "N3") {
		t.Errorf("names %q", names)
	}
	if got, want := reactionTitle(rs[0]), "You, N0, N1, N2, N4, N5, N6, N7, N8, N9 and 5 others reacted with 🎉"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
	// The user's pending reaction on top of a full list: still at most
	// MaxReactionUsers names, the others counted.
	rs = reactionViews([]protocol.Reaction{{Emoji: "🎉", Users: users, Count: 15}}, protocol.User{ID: "me"}, map[string]int{"🎉": 1})
	if len(rs[0].Names) != protocol.MaxReactionUsers || rs[0].Names[0] != "You" || rs[0].Count != 16 || !strings.HasSuffix(reactionTitle(rs[0]), "and 6 others reacted with 🎉") {
		t.Errorf("pending on a full list: %+v %q", rs[0], reactionTitle(rs[0]))
	}
}

func TestReactionBarShowsWhoReacted(t *testing.T) {
	ann, eve := protocol.User{ID: "u-ann", Name: "Ann"}, protocol.User{ID: "u-eve", Name: `Eve"><img src=x onerror=alert(1)>`}
	rs := reactionViews([]protocol.Reaction{{Emoji: "🎉", Users: []protocol.User{ann, ada}}, {Emoji: "😮", Users: []protocol.User{eve}}}, ada, nil)
	html := app.HTMLString(newReactionBar(nil, "p1", rs, false))
	for _, want := range []string{
		`title="You and Ann reacted with 🎉"`, `aria-pressed`,
		`aria-label="Add reaction"`, `aria-expanded="false"`, `id="react-add-p1"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("no %s in\n%s", want, html)
		}
	}
	// A name is people's own text: in an attribute, its quote cannot end
	// the attribute, even in a page prerendered by go-app (attrText: the
	// value runs from its opening quote to the closing one, with none in
	// between, and reads back as the name). TestPrerenderXSS parses it.
	title := `Eve&#34;&#62;&#60;img src=x onerror=alert(1)&#62; reacted with 😮`
	if !strings.Contains(html, `title="`+title+`"`) {
		t.Errorf("a name broke out of its attribute:\n%s", html)
	}
	if strings.Contains(html, "React with") || strings.Contains(html, "aria-controls") {
		t.Errorf("closed picker rendered:\n%s", html)
	}
	// Open: every allowed emoji, named, pressed where the user gave it.
	html = app.HTMLString(newReactionBar(nil, "p1", rs, true))
	if !strings.Contains(html, `aria-controls="picker-p1"`) || !strings.Contains(html, `role="toolbar"`) || !strings.Contains(html, `aria-expanded>`) && !strings.Contains(html, `aria-expanded `) {
		t.Errorf("open picker:\n%s", html)
	}
	for i, e := range protocol.Reactions {
		if !strings.Contains(html, `aria-label="React with `+e+`"`) {
			t.Errorf("no React with %s", e)
		}
		// Only the first has the tab stop.
		tab := `tabindex="-1"`
		if i == 0 {
			tab = `tabindex="0"`
		}
		if !strings.Contains(html, `id="`+pickID("p1", i)+`"`) || !strings.Contains(html, tab) {
			t.Errorf("emoji %d: id or %s missing", i, tab)
		}
	}
	if n := strings.Count(html, `class="react-pick"`); n != len(protocol.Reactions) {
		t.Errorf("%d emojis in the picker", n)
	}
}
