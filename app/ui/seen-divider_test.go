package ui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func TestDividerAt(t *testing.T) {
	other := func(pos uint64) postView { return postView{ID: "p" + itoa(int(pos)), Pos: pos} }
	own := func(pos uint64) postView { return postView{ID: "p" + itoa(int(pos)), Pos: pos, Own: true} }
	sending := postView{Op: "o1", Own: true, Sending: true}
	tests := []struct {
		name  string
		posts []postView // newest first
		seen  uint64
		want  int
	}{
		{"nothing seen before", []postView{other(3), other(2)}, 0, -1},
		{"above the newest seen", []postView{other(5), other(4), other(2), other(1)}, 2, 2},
		{"seen between positions", []postView{other(5), other(4), other(2), other(1)}, 3, 2},
		{"nothing came since", []postView{other(2), other(1)}, 2, -1},
		{"nothing came since, seen further", []postView{other(2), other(1)}, 9, -1},
		{"only own posts came", []postView{own(4), own(3), other(2)}, 2, -1},
		{"own and others came", []postView{own(4), other(3), other(2)}, 2, 2},
		{"others below own", []postView{other(4), own(3), other(2)}, 2, 2},
		{"sending posts do not count", []postView{sending, other(2)}, 2, -1},
		{"sending posts on top", []postView{sending, other(3), other(2)}, 2, 2},
		{"seen post not shown (older than the list)", []postView{other(9), other(8)}, 5, -1},
		{"the oldest shown is the one seen", []postView{other(9), other(8), other(5)}, 5, 2},
		{"empty", nil, 5, -1},
	}
	for _, tt := range tests {
		if got := dividerAt(tt.posts, tt.seen); got != tt.want {
			t.Errorf("%s: dividerAt = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWithDividerCopiesOnChange(t *testing.T) {
	posts := []postView{{ID: "p3", Pos: 3}, {ID: "p2", Pos: 2}}
	if got := withDivider(posts, -1); &got[0] != &posts[0] {
		t.Error("nothing to change: want the same slice")
	}
	got := withDivider(posts, 1)
	if &got[0] == &posts[0] || posts[1].DividerAbove {
		t.Fatal("the slice handed in was changed")
	}
	if got[0].DividerAbove || !got[1].DividerAbove {
		t.Errorf("flags %v %v, want on the second only", got[0].DividerAbove, got[1].DividerAbove)
	}
	if again := withDivider(got, 1); &again[0] != &got[0] {
		t.Error("unchanged: want the same slice")
	}
	moved := withDivider(got, 0)
	if !moved[0].DividerAbove || moved[1].DividerAbove {
		t.Errorf("moved: flags %v %v", moved[0].DividerAbove, moved[1].DividerAbove)
	}
}

// listOrder is the mounted list as "divider" and the texts of its cards,
// in document order.
func listOrder(root app.UI) []string {
	var out []string
	walk(reflect.ValueOf(root), func(el reflect.Value) {
		switch tag := field(el, "tag").String(); {
		case tag == "article":
			out = append(out, textOf(el))
		case tag == "div" && textOf(el) == dividerText:
			out = append(out, "divider")
		}
	})
	return out
}

// mountedCards returns the mounted post cards under root.
func mountedCards(root app.UI) []*postCard {
	var out []*postCard
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		if c, ok := v.Interface().(*postCard); ok {
			out = append(out, c)
		}
		for _, c := range childrenOf(v) {
			visit(c)
		}
	}
	visit(reflect.ValueOf(root))
	return out
}

func TestDividerInTheList(t *testing.T) {
	flag := func(v postView) postView { v.DividerAbove = true; return v }
	p1, p5, p9, p17 := testPost("p1", "T-one", false, false), testPost("p5", "T-five", false, false),
		testPost("p9", "T-nine", false, false), testPost("p17", "T-seventeen", false, false)

	h := &listHarness{Actor: &recordingActor{}, Posts: []postView{p9, flag(p5), p1}}
	e := mount(t, h)
	check := func(step string, want ...string) {
		t.Helper()
		var got []string
		for _, s := range listOrder(h) {
			for _, text := range []string{"T-one", "T-five", "T-nine", "T-seventeen"} {
				if strings.Contains(s, text) {
					s = text // the post's text, among the rest of its card
				}
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: list %q, want %q", step, got, want)
		}
	}
	check("first render", "T-nine", "divider", "T-five", "T-one")
	for _, c := range mountedCards(h) {
		if c.Post.DividerAbove {
			t.Errorf("card %s was told about the divider", c.Post.ID)
		}
	}

	cards := mountedCards(h)
	h.ctx.Dispatch(func(app.Context) { h.Posts = []postView{p9, p5, flag(p1)} })
	e.ConsumeAll()
	check("moved down", "T-nine", "T-five", "divider", "T-one")
	if after := mountedCards(h); !reflect.DeepEqual(after, cards) {
		t.Error("moving the divider mounted cards anew")
	}

	h.ctx.Dispatch(func(app.Context) { h.Posts = []postView{p17, p9, p5, flag(p1)} })
	e.ConsumeAll()
	check("a post on top", "T-seventeen", "T-nine", "T-five", "divider", "T-one")

	h.ctx.Dispatch(func(app.Context) { h.Posts = []postView{p17, p9, p5, p1} })
	e.ConsumeAll()
	check("gone", "T-seventeen", "T-nine", "T-five", "T-one")
}
