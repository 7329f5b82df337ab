package feed

import (
	"context"
	"slices"
	"testing"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// TestEpoch: snapshots and resumes carry the log's epoch; a resume from a
// position of another epoch gets history_gone and a snapshot even when this
// log has grown past it, and an action naming a post of another epoch is
// refused (not_found) instead of reaching this log's post of the same id.
func TestEpoch(t *testing.T) {
	s := running(t, eventlog.NewMemory(), Config{})
	for _, op := range []string{"a", "b", "c"} {
		mustDo(t, s, postAction("main", op, "text "+op))
	}
	epoch := s.Epoch()
	if epoch == "" {
		t.Fatal("no epoch")
	}
	got, _ := caughtUp(t, s, protocol.Sub{Feed: "main", Mode: protocol.ModeSnapshot})
	if snap, ok := got[0].(protocol.Snapshot); !ok || snap.Epoch != epoch {
		t.Fatalf("snapshot %+v, want epoch %q", got[0], epoch)
	}
	// Same epoch: resumed.
	got, _ = caughtUp(t, s, protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: 1, Epoch: epoch})
	if k := kinds(got); !slices.Equal(k, []string{"event 2", "event 3"}) {
		t.Fatalf("resume in the same epoch: %v", k)
	}
	// Another epoch, a position this log has passed: no replay on top.
	got, _ = caughtUp(t, s, protocol.Sub{Feed: "main", Mode: protocol.ModeResume, Pos: 1, Epoch: "older"})
	if k := kinds(got); !slices.Equal(k, []string{"history_gone", "snapshot 3"}) {
		t.Fatalf("resume from another epoch: %v", k)
	}
	edit := protocol.Action{Feed: "main", Op: "e1", ID: "p1", Text: "edited", Epoch: "older"}.WithKind(protocol.TypeEdit)
	_, err := s.Do(context.Background(), ann, edit)
	if e, ok := err.(*protocol.Error); !ok || e.Code != protocol.CodeNotFound || e.Op != "e1" {
		t.Fatalf("edit of another epoch's post: %v, want not_found", err)
	}
	if p := s.View().Snapshot("main").Posts[2]; p.ID != "p1" || p.Edited != 0 {
		t.Fatalf("post p1 %+v was edited", p)
	}
	edit.Epoch, edit.Op = epoch, "e2"
	mustDo(t, s, edit)
}
