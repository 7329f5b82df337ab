package session

import (
	"encoding/json"

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
