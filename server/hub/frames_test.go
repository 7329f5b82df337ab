package hub

import (
	"bytes"
	"fmt"
	"testing"

	"livefeed/server/wsframe"
)

func TestFramesRuns(t *testing.T) {
	var fs Frames
	for pos := uint64(3); pos <= 6; pos++ {
		fs.add(pos, []byte(fmt.Sprint("event ", pos)))
	}
	if fs.Len() != 4 || fs.Last() != 6 {
		t.Fatalf("len %d last %d, want 4 and 6", fs.Len(), fs.Last())
	}
	for _, c := range []struct {
		pos  uint64
		want int
	}{{0, 0}, {2, 0}, {3, 1}, {4, 2}, {5, 3}, {6, 4}, {9, 4}} {
		if got := fs.After(c.pos); got != c.want {
			t.Errorf("After(%d) = %d, want %d", c.pos, got, c.want)
		}
	}
	// From(i) is frames i.. back to back, each a whole text frame.
	run := fs.From(2)
	want := append(wsframe.Text([]byte("event 5")), wsframe.Text([]byte("event 6"))...)
	if !bytes.Equal(run, want) {
		t.Fatalf("From(2) = %q, want %q", run, want)
	}
	held := fs.Frame(1)
	heldCopy := bytes.Clone(held)
	fs.dropThrough(4)
	if fs.Len() != 2 || fs.Pos(0) != 5 || !bytes.Equal(fs.From(0), want) {
		t.Fatalf("after dropThrough(4): %d frames from %d, %q", fs.Len(), fs.Pos(0), fs.From(0))
	}
	// A slice handed out before (as one waiting in a send queue) is
	// unchanged by what follows.
	fs.add(7, []byte("event 7"))
	fs.reset()
	fs.add(8, []byte("a different event 8"))
	if !bytes.Equal(held, heldCopy) {
		t.Fatalf("a frame handed out changed: %q, was %q", held, heldCopy)
	}
	// Nobody may append into the rest of a run's buffer.
	if f := fs.Frame(0); cap(f) != len(f) {
		t.Fatalf("Frame has room to append: len %d cap %d", len(f), cap(f))
	}
}
