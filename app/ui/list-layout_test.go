package ui

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// feedOf returns posts at the given positions, newest first (positions
// ascending in, as the log has them).
func feedOf(pos ...uint64) []postView {
	out := make([]postView, 0, len(pos))
	for i := len(pos) - 1; i >= 0; i-- {
		id := "p" + strconv.FormatUint(pos[i], 10)
		out = append(out, postView{ID: id, Pos: pos[i], Text: "post " + id})
	}
	return out
}

// inDOMOrder flattens an arrangement the way the page shows it: sending,
// the nest from its innermost block out to the root, then the older blocks.
func inDOMOrder(a arranged) []postView {
	out := slices.Clone(a.Sending)
	for i := len(a.Newer) - 1; i >= 0; i-- {
		out = append(out, a.Newer[i]...)
	}
	out = append(out, a.Root...)
	for _, b := range a.Older {
		out = append(out, b...)
	}
	return out
}

func positions(n int, step uint64) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i+1) * step
	}
	return out
}

// sameSlice reports whether y is the very slice x (what go-app then
// compares in no time and does not render again).
func sameSlice(x, y []postView) bool {
	return len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
}

func TestLayoutShowsThePostsInOrderOnce(t *testing.T) {
	var l listLayout
	posts := feedOf(positions(100, 1)...)
	a := l.arrange(posts, listPage)
	got := inDOMOrder(a)
	if a.Shown != len(got) || a.Shown < listPage || a.Shown > listPage+blockSpan {
		t.Fatalf("shown %d (%d in order), want one page (%d) rounded up to a block", a.Shown, len(got), listPage)
	}
	if !slices.EqualFunc(got, posts[:a.Shown], func(x, y postView) bool { return x.ID == y.ID }) {
		t.Fatalf("order %v", ids(got))
	}
}

func TestLayoutNewPostOnTopLeavesOtherBlocksAlone(t *testing.T) {
	for _, step := range []uint64{1, 3, 5} { // posts only; reactions between posts
		t.Run("step "+strconv.FormatUint(step, 10), func(t *testing.T) {
			var l listLayout
			pos := positions(60, step)
			before := l.arrange(feedOf(pos...), listPage)
			for range 12 {
				pos = append(pos, pos[len(pos)-1]+step)
				after := l.arrange(feedOf(pos...), listPage)
				changed := 0
				if !sameSlice(before.Root, after.Root) {
					changed++
				}
				for i := range before.Newer {
					if !sameSlice(before.Newer[i], after.Newer[i]) {
						changed++
					}
				}
				for i := range before.Older {
					if !sameSlice(before.Older[i], after.Older[i]) {
						t.Fatalf("older block %d changed", i)
					}
				}
				if changed > 1 {
					t.Fatalf("%d blocks changed for one new post", changed)
				}
				if len(after.Older) != len(before.Older) {
					t.Fatalf("older blocks %d -> %d", len(before.Older), len(after.Older))
				}
				if got := inDOMOrder(after); got[0].Pos != pos[len(pos)-1] {
					t.Fatalf("top is %s", got[0].ID)
				}
				before = after
			}
		})
	}
}

func TestLayoutDeleteTouchesOnlyItsBlock(t *testing.T) {
	var l listLayout
	pos := positions(80, 1)
	l.arrange(feedOf(pos...), listPage)
	for range 8 { // some nesting on top
		pos = append(pos, pos[len(pos)-1]+1)
	}
	before := l.arrange(feedOf(pos...), listPage)
	// Delete every post of one older block and one post of the root: the
	// levels stay, empty or smaller, and nothing else changes.
	victim := before.Older[1]
	gone := map[uint64]bool{before.Root[0].Pos: true}
	for _, p := range victim {
		gone[p.Pos] = true
	}
	pos = slices.DeleteFunc(pos, func(p uint64) bool { return gone[p] })
	after := l.arrange(feedOf(pos...), listPage)
	if len(after.Older) != len(before.Older) || len(after.Newer) != len(before.Newer) {
		t.Fatalf("levels changed: older %d -> %d, newer %d -> %d", len(before.Older), len(after.Older), len(before.Newer), len(after.Newer))
	}
	if len(after.Older[1]) != 0 {
		t.Fatalf("emptied block shows %v", ids(after.Older[1]))
	}
	for i := range after.Older {
		if i != 1 && !sameSlice(before.Older[i], after.Older[i]) {
			t.Errorf("older block %d changed", i)
		}
	}
	for i := range after.Newer {
		if !sameSlice(before.Newer[i], after.Newer[i]) {
			t.Errorf("newer block %d changed", i)
		}
	}
	if sameSlice(before.Root, after.Root) {
		t.Error("root unchanged after a delete in it")
	}
}

func TestLayoutGrowsDownAndShrinksBackAtTheTop(t *testing.T) {
	var l listLayout
	posts := feedOf(positions(500, 2)...)
	one := l.arrange(posts, listPage)
	three := l.arrange(posts, 3*listPage)
	if three.Shown < 3*listPage || len(three.Older) <= len(one.Older) {
		t.Fatalf("grew to %d shown, %d older blocks (from %d)", three.Shown, len(three.Older), len(one.Older))
	}
	for i := range one.Older {
		if !sameSlice(one.Older[i], three.Older[i]) {
			t.Fatalf("older block %d changed when growing", i)
		}
	}
	all := l.arrange(posts, 1000)
	if all.Shown != 500 {
		t.Fatalf("shown %d of 500", all.Shown)
	}
	l.shrink(posts, listPage)
	back := l.arrange(posts, listPage)
	if back.Shown < listPage || back.Shown > listPage+blockSpan {
		t.Fatalf("back at the top: %d shown", back.Shown)
	}
}

func TestLayoutReanchorsAfterManyNewBlocks(t *testing.T) {
	var l listLayout
	pos := positions(40, 1)
	l.arrange(feedOf(pos...), listPage)
	for range (maxNewer + 2) * blockSpan {
		pos = append(pos, pos[len(pos)-1]+1)
		l.arrange(feedOf(pos...), listPage)
	}
	if len(l.newer) <= maxNewer {
		t.Fatalf("%d nested blocks", len(l.newer))
	}
	l.shrink(feedOf(pos...), listPage)
	a := l.arrange(feedOf(pos...), listPage)
	if len(a.Newer) != 0 || a.Root[0].Pos != pos[len(pos)-1] {
		t.Fatalf("not re-anchored: %d nested, root starts at %v", len(a.Newer), ids(a.Root))
	}
}

func TestLayoutSnapshotReplacingTheList(t *testing.T) {
	var l listLayout
	l.arrange(feedOf(positions(50, 1)...), listPage)
	// A reset log: the new posts are all older than the levels.
	posts := feedOf(1, 2, 3)
	a := l.arrange(posts, listPage)
	if got := ids(inDOMOrder(a)); !slices.Equal(got, []string{"p3", "p2", "p1"}) {
		t.Fatalf("shown %v", got)
	}
}

func TestLayoutSendingPostsOnTop(t *testing.T) {
	var l listLayout
	posts := append([]postView{{Op: "o1", Text: "sending"}}, feedOf(1, 2)...)
	a := l.arrange(posts, listPage)
	if len(a.Sending) != 1 || a.Shown != 3 || inDOMOrder(a)[0].Op != "o1" {
		t.Fatalf("arranged %+v", a)
	}
}

// Random feeds changing in random ways: every arrangement shows the newest
// posts, in order, each once.
func TestLayoutRandomChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 200 {
		var l listLayout
		var pos []uint64
		next := uint64(1)
		for range rng.IntN(200) {
			next += uint64(rng.IntN(4))
			pos = append(pos, next)
			next++
		}
		want := listPage
		for step := range 60 {
			switch r := rng.IntN(10); {
			case r < 4: // a new post
				next += uint64(rng.IntN(6))
				pos = append(pos, next)
				next++
			case r < 6 && len(pos) > 0: // a delete
				i := rng.IntN(len(pos))
				pos = slices.Delete(pos, i, i+1)
			case r < 7:
				want += listPage
			case r < 8:
				want = listPage
				l.shrink(feedOf(pos...), want)
			case r < 9 && len(pos) > 10: // a snapshot of the newest only
				pos = slices.Clone(pos[len(pos)-10:])
			}
			posts := feedOf(pos...)
			a := l.arrange(posts, want)
			got := inDOMOrder(a)
			if len(got) != a.Shown || a.Shown < min(want, len(posts)) {
				t.Fatalf("run %d step %d: shown %d, in order %d, want at least %d of %d", run, step, a.Shown, len(got), want, len(posts))
			}
			if !slices.EqualFunc(got, posts[:len(got)], func(x, y postView) bool { return x.ID == y.ID }) {
				t.Fatalf("run %d step %d: order %v, want %v", run, step, ids(got), ids(posts[:len(got)]))
			}
		}
	}
}

func ids(ps []postView) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
