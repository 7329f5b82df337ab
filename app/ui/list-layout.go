package ui

import "reflect"

// How the post list is laid out so that a change touches only the cards it
// changes.
//
// go-app matches a list's old and new children by position. In one flat
// list of cards, a post arriving on top shifts every card by one: each card
// is handed its neighbour's post and renders again (at 500 posts, 425 ms
// for one new post). So the rendered posts are cut into blocks of
// consecutive log positions (blockSpan of them), and the blocks are
// arranged so that what changes most often never moves what is below it:
//
//   - the anchor block is the root, at a fixed place;
//   - blocks newer than the anchor nest: each is the first child of the one
//     below it, so a new block is mounted inside the newest one and nothing
//     else moves;
//   - blocks older than the anchor follow it side by side, newest first, so
//     a page of older posts is appended and the way back to one page is a
//     removal at the end;
//   - posts not yet in the log (sending) have a block of their own on top.
//
// A new post then renders its own card and shifts at most the cards of its
// block. A level stays in place when its posts are deleted (empty), so a
// delete shifts nothing outside its block either. Only a re-anchor (back at
// the top after many new blocks, or a list replaced by a snapshot) renders
// every card again.

// blockSpan is how many log positions one block covers. Positions also
// count edits, deletions and reactions, so a block holds at most this
// many posts, and often fewer.
const blockSpan = 4

// maxNewer is how many blocks may nest above the anchor before the list is
// re-anchored at the next return to the top.
const maxNewer = 16

// blockKey is the block of the post at position pos.
func blockKey(pos uint64) uint64 { return pos / blockSpan }

// listLayout is the arrangement of the rendered posts: which blocks exist
// and where. It is the state of the list between renders; arrange fills it
// from the posts each time.
type listLayout struct {
	// anchor is the key of the root block; levels are valid only if set.
	anchor uint64
	valid  bool
	// newer holds the keys of the nested blocks, oldest first; a block
	// holds the posts from its key up to the next block's key.
	newer []uint64
	// older holds the keys of the blocks after the anchor, newest first;
	// the last one is the oldest rendered. A block holds the posts from its
	// key up to the key of the block before it.
	older []uint64

	// last keeps each block's posts of the last arrangement, to hand an
	// unchanged block the same slice: go-app compares fields with
	// reflect.DeepEqual, which is immediate for a slice it saw before.
	last map[uint64][]postView
}

// arranged is one arrangement of the posts, ready to render.
type arranged struct {
	Sending []postView   // posts not yet in the log, newest first
	Root    []postView   // the anchor block's posts, newest first
	Newer   [][]postView // the nested blocks, oldest first (Newer[0] nests in Root)
	Older   [][]postView // the blocks after the root, newest first
	Shown   int          // how many posts are rendered
}

// reset forgets the arrangement: the next one starts from the newest post.
func (l *listLayout) reset() {
	l.valid, l.newer, l.older = false, nil, nil
}

// arrange lays out posts (newest first, sending ones first) and keeps the
// layout for the next call. want is how many posts the reader should see
// at least (fewer if there are not so many): the layout grows downwards
// until it shows them.
func (l *listLayout) arrange(posts []postView, want int) arranged {
	var a arranged
	logged := posts
	for len(logged) > 0 && logged[0].Pos == 0 {
		logged = logged[1:]
	}
	a.Sending = posts[:len(posts)-len(logged)]
	want = min(want, len(logged))
	if !l.valid && len(logged) > 0 {
		l.valid, l.anchor, l.newer, l.older = true, blockKey(logged[0].Pos), nil, nil
	}
	if l.valid {
		// Blocks for posts newer than every level: on top of the nest.
		top := l.anchor
		if n := len(l.newer); n > 0 {
			top = l.newer[n-1]
		}
		for i := len(logged) - 1; i >= 0; i-- {
			if k := blockKey(logged[i].Pos); k > top {
				l.newer, top = append(l.newer, k), k
			}
		}
		l.fill(logged, &a)
		// Grow downwards, one block at a time, to show what is wanted.
		for a.Shown < want {
			rest := logged[a.Shown:]
			if len(rest) == 0 {
				break
			}
			l.older = append(l.older, blockKey(rest[0].Pos))
			l.fill(logged, &a)
		}
		if want > 0 && a.Shown == 0 {
			// Nothing of the list falls in the levels (a snapshot
			// replaced it): start again from its newest post.
			l.reset()
			return l.arrange(posts, want)
		}
	}
	a.Shown += len(a.Sending)
	l.remember(&a)
	return a
}

// fill sorts logged (newest first) into the levels.
func (l *listLayout) fill(logged []postView, a *arranged) {
	a.Root, a.Newer, a.Older, a.Shown = nil, make([][]postView, len(l.newer)), make([][]postView, len(l.older)), 0
	for i, p := range logged {
		k := blockKey(p.Pos)
		switch {
		case k >= l.anchor:
			j := len(l.newer) - 1
			for j >= 0 && k < l.newer[j] {
				j--
			}
			if j < 0 {
				a.Root = append(a.Root, logged[i])
			} else {
				a.Newer[j] = append(a.Newer[j], logged[i])
			}
		default:
			j := 0
			for j < len(l.older) && k < l.older[j] {
				j++
			}
			if j == len(l.older) {
				return // below the oldest rendered block
			}
			a.Older[j] = append(a.Older[j], logged[i])
		}
		a.Shown++
	}
}

// shrink, for a reader at the top, drops older blocks from the end while
// at least want posts stay rendered, and re-anchors on the newest block if
// more than maxNewer have nested since the last anchor.
func (l *listLayout) shrink(posts []postView, want int) {
	if len(l.newer) > maxNewer {
		l.reset()
		return
	}
	a := l.arrange(posts, want)
	shown := a.Shown - len(a.Sending)
	for i := len(l.older) - 1; i >= 0 && shown-len(a.Older[i]) >= want; i-- {
		shown -= len(a.Older[i])
		l.older = l.older[:i]
	}
}

// remember hands unchanged blocks the slices of the last arrangement.
func (l *listLayout) remember(a *arranged) {
	prev := l.last
	l.last = make(map[uint64][]postView, len(a.Newer)+len(a.Older)+2)
	keep := func(key uint64, ps []postView) []postView {
		if old, ok := prev[key]; ok && reflect.DeepEqual(old, ps) {
			ps = old
		}
		l.last[key] = ps
		return ps
	}
	const sendingKey, rootKey = ^uint64(0), ^uint64(0) - 1
	a.Sending = keep(sendingKey, a.Sending)
	a.Root = keep(rootKey, a.Root)
	for i := range a.Newer {
		a.Newer[i] = keep(l.newer[i], a.Newer[i])
	}
	for i := range a.Older {
		a.Older[i] = keep(l.older[i], a.Older[i])
	}
}
