package protocol

import "encoding/json"

// Message types, the "type" field of the envelope. See docs/protocol.md.
const (
	// Client to server.
	TypeHello       = "hello"       // first message: identify and (re)subscribe
	TypeSubscribe   = "subscribe"   // follow one more feed
	TypeUnsubscribe = "unsubscribe" // stop following a feed
	TypePost        = "post"        // action: new post
	TypeEdit        = "edit"        // action: change own post's text
	TypeDelete      = "delete"      // action: delete own post
	TypeReact       = "react"       // action: toggle a reaction

	// Server to client.
	TypeWelcome     = "welcome"      // reply to hello
	TypeSnapshot    = "snapshot"     // a feed's current state
	TypeEvent       = "event"        // one log event of a feed
	TypeAck         = "ack"          // an action is in the log
	TypeError       = "error"        // typed error
	TypeHistoryGone = "history_gone" // resume position no longer retained; a snapshot follows
	TypePresence    = "presence"     // who is online in a feed
	TypeGoAway      = "goaway"       // the server is closing this connection; come back later
	TypeSubscribed  = "subscribed"   // catch-up of a feed is done; live from here

	// Both ways.
	TypeHeartbeat = "heartbeat"
)

// Subscription modes.
const (
	// ModeSnapshot: send the feed's snapshot, then live events.
	ModeSnapshot = "snapshot"
	// ModeResume: send every event after Pos, then live events; if Pos is
	// no longer retained, HistoryGone and a snapshot instead.
	ModeResume = "resume"
	// ModeLive: live events from now on, no history.
	ModeLive = "live"
)

// Event kinds.
const (
	KindPost   = "post"
	KindEdit   = "edit"
	KindDelete = "delete"
	KindReact  = "react"
	// KindRemoved: an operator removed the feed (livefeed feed-rm). Its
	// posts are gone: a client drops them and keeps following; a later
	// post starts the feed anew, its events continuing the chain.
	KindRemoved = "removed"
)

// Message is any protocol message.
type Message interface {
	// MsgType returns the envelope type of the message.
	MsgType() string
}

// User identifies a signed-in person. ID is who they are (it never
// changes, and decides whose a post is); Name is the display name anyone
// may choose; Handle is an account's unique @handle (without the @),
// empty for a guest. Show Name with "@"+Handle, or "guest", so that two
// people with one display name are told apart.
type User struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Handle string `json:"handle,omitempty"`
}

// Sub is one feed subscription in Hello or Subscribe.
type Sub struct {
	Feed string `json:"feed"`
	Mode string `json:"mode"`
	// Pos is, for ModeResume, the position of the last event of this feed
	// the client applied (0: none).
	Pos uint64 `json:"pos,omitempty"`
	// Epoch is, for ModeResume, the epoch of the log Pos is a position of
	// (from Welcome, Snapshot or Subscribed; empty: unknown). A resume
	// from another epoch gets HistoryGone and a snapshot.
	Epoch string `json:"epoch,omitempty"`
}

// Hello is the client's first message.
type Hello struct {
	// Client names the client software, for logs (optional).
	Client string `json:"client,omitempty"`
	Subs   []Sub  `json:"subs"`
}

// Subscribe follows one more feed.
type Subscribe struct {
	Sub
}

// Unsubscribe stops following a feed.
type Unsubscribe struct {
	Feed string `json:"feed"`
}

// Action is a user action; its kind is the envelope type (post, edit,
// delete, react).
type Action struct {
	// Op is the client-generated op id: 1..64 bytes of [A-Za-z0-9_-],
	// unique per user. The server applies an op at most once.
	Op   string `json:"op"`
	Feed string `json:"feed"`
	// ID is the target post (edit, delete, react).
	ID string `json:"id,omitempty"`
	// Text is the post text (post, edit).
	Text string `json:"text,omitempty"`
	// Emoji is the reaction (react), one of Reactions.
	Emoji string `json:"emoji,omitempty"`
	// Epoch, when set, is the epoch of the log the client saw ID in: the
	// server refuses the action (not_found) when its log has another
	// epoch, instead of applying it to a post that only shares the id.
	Epoch string `json:"epoch,omitempty"`

	kind string
}

// Kind returns the action's type (TypePost, TypeEdit, TypeDelete or TypeReact).
func (a Action) Kind() string { return a.kind }

// WithKind returns a copy of a with its kind set.
func (a Action) WithKind(kind string) Action { a.kind = kind; return a }

// Welcome answers Hello.
type Welcome struct {
	Version int    `json:"version"`
	Node    string `json:"node"`
	User    User   `json:"user"`
	// HeartbeatMS is the heartbeat interval in milliseconds.
	HeartbeatMS int64 `json:"heartbeat_ms"`
	// AppVersion is the version of the web app the server serves (its
	// build, `livefeed version`; go-app's app version), empty when it
	// does not say. A browser app that runs another version looks for
	// the new one and offers to load it; other clients ignore it.
	AppVersion string `json:"app_version,omitempty"`
	// Epoch identifies the server's log: positions and post ids are
	// those of this epoch. A log recreated (its data wiped) or restored
	// from a backup has another epoch; a client that kept positions of
	// another epoch must drop them and everything it cached with them.
	Epoch string `json:"epoch,omitempty"`
	// Conn, over the HTTP transport only, names the downlink's
	// connection on this server: the client's next downlink request
	// names it (Downlink.Conn) to keep its membership (its subscriptions
	// in the hub, and so its user's presence) from one request to the
	// next, instead of leaving at the end of each poll and joining again.
	Conn string `json:"conn,omitempty"`
}

// Reaction is one emoji's reactions on a post. In a snapshot, Users lists
// at most MaxReactionUsers of those who reacted (the subscriber first, if
// among them) and Count says how many did; events add or remove one user.
type Reaction struct {
	Emoji string `json:"emoji"`
	Users []User `json:"users"`
	// Count is how many users gave the reaction; 0 from a server that
	// lists them all (then it is len(Users)).
	Count int `json:"count,omitempty"`
}

// Total is how many users gave the reaction.
func (r Reaction) Total() int { return max(r.Count, len(r.Users)) }

// Post is a post's current state.
type Post struct {
	ID        string     `json:"id"`
	Feed      string     `json:"feed"`
	Author    User       `json:"author"`
	Text      string     `json:"text"`
	Created   int64      `json:"created"`          // Unix milliseconds
	Edited    int64      `json:"edited,omitempty"` // Unix milliseconds, 0 if never
	Reactions []Reaction `json:"reactions,omitempty"`
	// Pos is the position of the event that created the post.
	Pos uint64 `json:"pos"`
}

// Snapshot is a feed's state: its newest posts (at most MaxSnapshotPosts,
// newest first, deleted ones left out) as of position Pos, the position of
// the feed's last event (0: none). Events that follow continue from Pos.
// The encoded snapshot is at most MaxSnapshotBytes: Truncated says that
// older posts were left out to keep it so.
type Snapshot struct {
	Feed      string `json:"feed"`
	Pos       uint64 `json:"pos"`
	Posts     []Post `json:"posts"`
	Truncated bool   `json:"truncated,omitempty"`
	// Epoch is the log's epoch (see Welcome).
	Epoch string `json:"epoch,omitempty"`
}

// History is one page of a feed's older posts, the answer to GET
// /api/feeds/{feed}/history?before=B&at=P: at most HistoryPage of the
// posts created before position Before, newest first, deleted ones left
// out, as of the feed's position Pos (at least P). End says that no older
// post is left. Reactions list users as in a Snapshot. A client merges a
// page only once it has applied every event up to Pos itself: the page
// already reflects those events.
type History struct {
	Feed   string `json:"feed"`
	Pos    uint64 `json:"pos"`
	Before uint64 `json:"before"`
	Posts  []Post `json:"posts"`
	End    bool   `json:"end,omitempty"`
}

// Event is one event of a feed's log.
type Event struct {
	Feed string `json:"feed"`
	// Pos is the event's log position; Prev the position of the previous
	// event of the same feed (0: none). A client that has applied every
	// event up to position P applies e only if e.Prev <= P < e.Pos; if
	// e.Prev > P it missed events and must resume.
	Pos  uint64 `json:"pos"`
	Prev uint64 `json:"prev"`
	// Time is when the log stored the event, Unix milliseconds.
	Time   int64  `json:"ts"`
	Kind   string `json:"kind"`
	Op     string `json:"op"`
	Author User   `json:"author"`
	// ID is the post the event is about; for KindPost the new post's id.
	ID    string `json:"id"`
	Text  string `json:"text,omitempty"`
	Emoji string `json:"emoji,omitempty"`
	// On is, for KindReact, true when the reaction was added and false
	// when it was removed (reacting twice toggles).
	On bool `json:"on,omitempty"`
}

// MarshalJSON writes "on" in every reaction event, false included: a
// reaction taken back says so, where omitempty would leave the field out
// (and other events do not carry it).
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	if e.Kind != KindReact {
		return json.Marshal(plain(e))
	}
	return json.Marshal(struct {
		plain
		On bool `json:"on"`
	}{plain(e), e.On})
}

// Ack confirms that an action is in the log.
type Ack struct {
	Op   string `json:"op"`
	Feed string `json:"feed"`
	Pos  uint64 `json:"pos"`
	ID   string `json:"id"`
	// Duplicate is true when the op had been applied before (a resend).
	Duplicate bool `json:"duplicate,omitempty"`
	// Event is the event the action produced.
	Event *Event `json:"event,omitempty"`
}

// HistoryGone says that a resume position is no longer retained. A
// Snapshot of the feed follows; the client replaces its state with it.
type HistoryGone struct {
	Feed string `json:"feed"`
	Pos  uint64 `json:"pos"`
	// First is the oldest position still retained.
	First uint64 `json:"first"`
}

// Presence says who is online in a feed: Count distinct users, of whom
// Online lists the first MaxPresenceList ordered by name, then id (all of
// them when there are no more). The server encodes one Presence per feed
// for every subscriber, so the list does not put the recipient first: a
// client knows its own user from Welcome.
type Presence struct {
	Feed   string `json:"feed"`
	Online []User `json:"online"`
	// Count is the number of distinct users online (a user with several
	// connections counts once), Online included. Servers before this
	// field sent every user in Online and no count: use Total.
	Count int `json:"count,omitempty"`
}

// Total returns how many users are online: Count, or len(Online) when
// Count is absent (an older server) or smaller than the list.
func (p Presence) Total() int { return max(p.Count, len(p.Online)) }

// More returns how many online users Online leaves out.
func (p Presence) More() int { return p.Total() - len(p.Online) }

// GoAway tells the client the server is closing the connection and when to
// come back: after a delay drawn uniformly from [RetryMinMS, RetryMaxMS].
type GoAway struct {
	// Reason is "restart" (shutdown or upgrade), "overloaded" (over the
	// connection cap or accept rate) or "slow_consumer" (the client fell
	// too far behind). A connection found dead gets no goaway, only close
	// code CloseDead: it could not read one.
	Reason     string `json:"reason"`
	RetryMinMS int64  `json:"retry_min_ms"`
	RetryMaxMS int64  `json:"retry_max_ms"`
}

// Subscribed says that a subscription has caught up (after its snapshot or
// replayed events, or at once for ModeLive): live events follow, the first
// with Prev <= Pos.
type Subscribed struct {
	Feed string `json:"feed"`
	Pos  uint64 `json:"pos"`
	// Epoch is the log's epoch (see Welcome).
	Epoch string `json:"epoch,omitempty"`
}

// Heartbeat keeps an idle connection visibly alive. A client's heartbeat
// with Probe set asks the server for a heartbeat at once: a client that
// doubts its connection (a tab shown again, the network back) learns
// within ProbeTimeout instead of a heartbeat deadline.
type Heartbeat struct {
	Time  int64 `json:"ts"` // sender's clock, Unix milliseconds
	Probe bool  `json:"probe,omitempty"`
}

func (Hello) MsgType() string       { return TypeHello }
func (Subscribe) MsgType() string   { return TypeSubscribe }
func (Unsubscribe) MsgType() string { return TypeUnsubscribe }
func (a Action) MsgType() string    { return a.kind }
func (Welcome) MsgType() string     { return TypeWelcome }
func (Snapshot) MsgType() string    { return TypeSnapshot }
func (Event) MsgType() string       { return TypeEvent }
func (Ack) MsgType() string         { return TypeAck }
func (*Error) MsgType() string      { return TypeError }
func (HistoryGone) MsgType() string { return TypeHistoryGone }
func (Presence) MsgType() string    { return TypePresence }
func (GoAway) MsgType() string      { return TypeGoAway }
func (Heartbeat) MsgType() string   { return TypeHeartbeat }
func (Subscribed) MsgType() string  { return TypeSubscribed }
