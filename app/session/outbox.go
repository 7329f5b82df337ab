package session

import (
	"encoding/json"
	"slices"

	"livefeed/shared/protocol"
)

// Pending is an action in the outbox: stored before it is first sent, resent
// after every reconnect until the server acknowledges it (the server applies
// an op id at most once) or rejects it.
type Pending struct {
	Type    string          `json:"type"` // protocol.TypePost, TypeEdit, TypeDelete or TypeReact
	Action  protocol.Action `json:"action"`
	Created int64           `json:"created"` // Unix milliseconds
	// AckedPos is set once the server acknowledged the action but the
	// feed has not yet applied the event at that position; such an entry
	// is no longer sent and is not persisted.
	AckedPos uint64 `json:"-"`
}

// Rejected is an action the server refused, kept until the user dismisses
// it.
type Rejected struct {
	Pending
	Error protocol.Error `json:"error"`
}

type outbox struct {
	Pending  []Pending  `json:"pending"`
	Rejected []Rejected `json:"rejected"`
}

func (o *outbox) load(st Store) {
	if b, ok := st.Get(keyOutbox); ok {
		_ = json.Unmarshal(b, o)
	}
}

func (o *outbox) save(st Store) error {
	keep := outbox{Rejected: o.Rejected}
	for _, p := range o.Pending {
		if p.AckedPos == 0 {
			keep.Pending = append(keep.Pending, p)
		}
	}
	b, err := json.Marshal(keep)
	if err != nil {
		return err
	}
	return st.Set(keyOutbox, b)
}

func (o *outbox) find(op string) int {
	for i, p := range o.Pending {
		if p.Action.Op == op {
			return i
		}
	}
	return -1
}

// The outbox's rules, each in one place. An entry leaves the outbox when
// the feed has applied its event: its own event arriving (before or after
// its ack), or, once acknowledged, the feed reaching the ack's position
// (dropSeen). An ack for a feed the session does not follow, or whose
// event the feed applied already, removes it at once. A refusal moves it
// to Rejected, kept until the user dismisses it.

// add puts a new action at the end of the outbox.
func (o *outbox) add(p Pending) { o.Pending = append(o.Pending, p) }

// applied removes op's entry: the feed applied its event. It reports
// whether there was one.
func (o *outbox) applied(op string) bool {
	i := o.find(op)
	if i < 0 {
		return false
	}
	o.Pending = slices.Delete(o.Pending, i, i+1)
	return true
}

// acked records op's acknowledgement at pos: the entry stays, no longer
// sent, until the feed reaches pos (waiting), or leaves now. It reports
// whether there was an entry.
func (o *outbox) acked(op string, pos uint64, waiting bool) bool {
	i := o.find(op)
	if i < 0 {
		return false
	}
	if waiting {
		o.Pending[i].AckedPos = pos
	} else {
		o.Pending = slices.Delete(o.Pending, i, i+1)
	}
	return true
}

// dropSeen removes the acknowledged entries of feed whose position the
// feed has reached (pos); it reports whether it removed any.
func (o *outbox) dropSeen(feed string, pos uint64) bool {
	n := len(o.Pending)
	o.Pending = slices.DeleteFunc(o.Pending, func(p Pending) bool {
		return p.Action.Feed == feed && p.AckedPos != 0 && pos >= p.AckedPos
	})
	return len(o.Pending) != n
}

// reject moves op's entry to Rejected with the server's reason; it
// reports whether there was one.
func (o *outbox) reject(op string, e protocol.Error) bool {
	i := o.find(op)
	if i < 0 {
		return false
	}
	o.Rejected = append(o.Rejected, Rejected{Pending: o.Pending[i], Error: e})
	o.Pending = slices.Delete(o.Pending, i, i+1)
	return true
}

// rejectEpoch moves to Rejected every entry naming a post of a log whose
// epoch is not epoch (the server's log was reset since): applied to this
// log, it would hit whatever post shares the id. It reports whether it
// moved any.
func (o *outbox) rejectEpoch(epoch string) bool {
	moved := false
	for i := 0; i < len(o.Pending); {
		p := o.Pending[i]
		if p.Action.Epoch == "" || p.Action.Epoch == epoch {
			i++
			continue
		}
		e := protocol.Errorf(protocol.CodeNotFound, "post %q is of a log that was reset (epoch %q, now %q)", p.Action.ID, p.Action.Epoch, epoch)
		e.Op, e.Feed = p.Action.Op, p.Action.Feed
		o.reject(p.Action.Op, *e)
		moved = true
	}
	return moved
}

// dismiss removes a rejected action.
func (o *outbox) dismiss(op string) {
	o.Rejected = slices.DeleteFunc(o.Rejected, func(r Rejected) bool { return r.Action.Op == op })
}
