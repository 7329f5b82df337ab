package protocol

import (
	"regexp"
	"time"
)

// Subprotocol is the WebSocket subprotocol of this protocol version. Client
// and server negotiate it during the upgrade; a client that does not offer it
// gets an "unsupported_version" error and close code CloseUnsupportedVersion.
const Subprotocol = "livefeed.v1"

// Version is the protocol version number carried in Welcome.
const Version = 1

// Limits. Each is enforced by the server and tested at its edge.
const (
	// MaxFrameBytes is the largest message a client may send (the server's
	// WebSocket read limit). A larger frame closes the connection with
	// status 1009 (message too big).
	MaxFrameBytes = 16 << 10
	// MaxClientReadBytes is the largest message the server sends (a
	// snapshot); the client's read limit.
	MaxClientReadBytes = 8 << 20
	// MaxTextChars is the longest post text, in Unicode code points, after
	// trimming surrounding white space. The shortest is 1.
	MaxTextChars = 2000
	// MaxNameChars is the longest display name, in code points, after
	// trimming. The shortest is 1.
	MaxNameChars = 40
	// MaxOpIDBytes is the longest op id; op ids are 1..64 bytes of
	// [A-Za-z0-9_-].
	MaxOpIDBytes = 64
	// MaxEpochBytes is the longest epoch a client may send (Sub.Epoch,
	// Action.Epoch); the server's are about 30 bytes.
	MaxEpochBytes = 64
	// MaxSubscriptions is how many feeds one connection may follow at once.
	MaxSubscriptions = 16
	// MaxSnapshotPosts is how many of a feed's newest posts a snapshot holds.
	MaxSnapshotPosts = 500
	// HistoryPage is how many posts one page of older history (History)
	// holds at most; its encoding is bounded by MaxSnapshotBytes too.
	HistoryPage = 100
	// MaxSnapshotBytes bounds an encoded snapshot message, whatever people
	// post: well below MaxClientReadBytes, and what a slow subscriber's
	// queue holds at most for its catch-up. 500 posts of ordinary length
	// fit; of the worst ones (2,000 characters that JSON escapes to 6
	// bytes each, every reaction given by MaxReactionUsers users with the
	// longest escaped names) about 30 do, and Snapshot.Truncated is set.
	MaxSnapshotBytes = 1 << 20
	// MaxReactionUsers is how many of a reaction's users a snapshot lists;
	// Reaction.Count has them all.
	MaxReactionUsers = 10
	// MaxFeeds is how many distinct feeds the server accepts writes for.
	MaxFeeds = 10000
	// MaxPresenceList is how many users a presence message lists at most
	// (the first by name, then id); its Count says how many are online in
	// all. It bounds what every change of presence costs the server per
	// subscriber and the client to decode, whatever the audience: at 50
	// the list is about 2.5 KB with typical names and under MaxFrameBytes
	// (16 KiB) with the longest names escaped (see
	// TestPresenceListFitsAFrame), where listing 10,000 users took 1 MB
	// and 12.7 ms to encode. 50 is more names than the feed page shows at
	// a glance (five faces and a short list) and as many as large chat
	// rooms show before "and N more".
	MaxPresenceList = 50
)

// Timing. The server announces its heartbeat interval in Welcome; these are
// the defaults.
const (
	// HeartbeatInterval: each side sends a Heartbeat when it has sent
	// nothing else for this long; the server also sends WebSocket pings at
	// this interval.
	HeartbeatInterval = 10 * time.Second
	// ProbeTimeout is how long a client waits for the answer to a probe
	// (a heartbeat with probe set) before it treats the connection as
	// dead and reconnects.
	ProbeTimeout = 3 * time.Second
	// DeadAfterIntervals: a side that has received nothing for this many
	// heartbeat intervals (1.5, i.e. 15 s by default) treats the connection
	// as dead and closes it (the client then reconnects and resumes).
	DeadAfterIntervals = 1.5
	// HelloTimeout: a connection that has not sent hello this long after
	// it opened is sent an error (hello_required) and closed with
	// CloseProtocolError. A client sends hello at once.
	HelloTimeout = 10 * time.Second
)

// DeadAfter returns the silence after which a connection is dead, for a
// heartbeat interval.
func DeadAfter(interval time.Duration) time.Duration {
	return time.Duration(float64(interval) * DeadAfterIntervals)
}

// DefaultFeed is the feed shown at "/".
const DefaultFeed = "main"

// FeedPattern is the pattern a feed name must match: 1..32 characters of
// lower-case letters, digits, '-' and '_', starting with a letter or digit.
const FeedPattern = `^[a-z0-9][a-z0-9_-]{0,31}$`

var feedRE = regexp.MustCompile(FeedPattern)

// ValidFeed reports whether name matches FeedPattern.
func ValidFeed(name string) bool { return feedRE.MatchString(name) }

// Reactions is the set of emoji a post can be reacted to with, in display
// order.
var Reactions = []string{"👍", "❤️", "😂", "🎉", "😮", "😢"}

// ValidReaction reports whether e is one of Reactions.
func ValidReaction(e string) bool {
	for _, r := range Reactions {
		if r == e {
			return true
		}
	}
	return false
}
