package session

import (
	"testing"

	"livefeed/shared/protocol"
)

// TestOutboxRejectsOtherEpoch: on a log of another epoch the outbox keeps
// new posts and actions of this epoch (or of none known) and moves those
// naming posts of the old epoch to Rejected.
func TestOutboxRejectsOtherEpoch(t *testing.T) {
	var o outbox
	o.add(Pending{Type: protocol.TypePost, Action: protocol.Action{Op: "post", Feed: "main", Text: "new"}})
	o.add(Pending{Type: protocol.TypeEdit, Action: protocol.Action{Op: "old-edit", Feed: "main", ID: "p1", Text: "x", Epoch: "e1"}})
	o.add(Pending{Type: protocol.TypeDelete, Action: protocol.Action{Op: "old-delete", Feed: "main", ID: "p2", Epoch: "e1"}})
	o.add(Pending{Type: protocol.TypeReact, Action: protocol.Action{Op: "react", Feed: "main", ID: "p3", Emoji: "👍", Epoch: "e2"}})
	if !o.rejectEpoch("e2") {
		t.Fatal("nothing rejected")
	}
	var pending, rejected []string
	for _, p := range o.Pending {
		pending = append(pending, p.Action.Op)
	}
	for _, r := range o.Rejected {
		rejected = append(rejected, r.Action.Op)
		if r.Error.Code != protocol.CodeNotFound || r.Error.Op != r.Action.Op {
			t.Errorf("rejected %s with %+v", r.Action.Op, r.Error)
		}
	}
	if len(pending) != 2 || pending[0] != "post" || pending[1] != "react" {
		t.Errorf("pending %v, want [post react]", pending)
	}
	if len(rejected) != 2 || rejected[0] != "old-edit" || rejected[1] != "old-delete" {
		t.Errorf("rejected %v, want [old-edit old-delete]", rejected)
	}
	if o.rejectEpoch("e2") {
		t.Error("rejected again")
	}
}
