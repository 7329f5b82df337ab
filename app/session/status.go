package session

import (
	"time"

	"livefeed/shared/protocol"
)

// What the session tells its user: its state, its counters, and the
// updates it notifies.

// State is the connection state shown to the user.
type State string

// Connection states. The indicator's text starts with the state.
const (
	StateConnecting     State = "Connecting"
	StateLive           State = "Live"
	StateReconnecting   State = "Reconnecting"
	StateOffline        State = "Offline"
	StateUpdateRequired State = "Update required"
	// StateSignedOut: the server ended the session (ErrSignedOut); the
	// session no longer connects.
	StateSignedOut State = "Signed out"
)

// Status is a snapshot of the session's connection and counters.
type Status struct {
	State State
	// NextTry is when the next connection attempt starts (Reconnecting).
	NextTry   time.Time
	Attempt   int
	LastError string
	User      protocol.User
	// AppVersion is the web app version the server serves, from the last
	// welcome ("" before one, or from a server that does not say). The
	// browser app compares it with its own; other clients may ignore it.
	AppVersion string
	// Transport is the transport of the connection (TransportWebSocket,
	// TransportStream or TransportPoll), from its welcome on.
	Transport string
	Stats     Stats
}

// Stats counts what the session went through.
type Stats struct {
	Connects    int // successful connections
	Reconnects  int // successful connections after the first
	Resumes     int // feeds resumed from a position
	HistoryGone int // resumes answered with history_gone (state reset)
	Replayed    int // events applied before a feed's subscribed message
	Duplicates  int // events ignored because already applied
	Gaps        int // events that revealed missing ones (caused a resume)
	// LastCatchUp is how long the last resume took from hello to subscribed.
	LastCatchUp time.Duration
}

// UpdateKind says what changed.
type UpdateKind int

// Kinds of Update.
const (
	UpdateStatus   UpdateKind = iota // Status changed
	UpdateFeed                       // a feed's posts changed (Event set for a live event, nil for a reset)
	UpdateOutbox                     // pending or rejected actions changed
	UpdatePresence                   // who is online changed
)

// Update tells the embedding UI or command what changed.
type Update struct {
	Kind  UpdateKind
	Feed  string
	Event *protocol.Event
	// Live is true when Event arrived after the feed caught up (not replayed).
	Live bool
}

func (s *Session) setStatus(f func(*Status)) {
	s.mu.Lock()
	f(&s.status)
	s.mu.Unlock()
	s.notify(Update{Kind: UpdateStatus})
}
