package protocol

import (
	"errors"
	"fmt"
	"time"
)

// Error codes, the "code" field of an Error.
const (
	// Malformed input; the connection stays open.
	CodeBadJSON        = "bad_json"       // not a JSON object envelope
	CodeBadUTF8        = "bad_utf8"       // the frame is not valid UTF-8
	CodeUnknownType    = "unknown_type"   // unknown envelope type
	CodeMissingField   = "missing_field"  // a required field is absent or empty
	CodeBadField       = "bad_field"      // a field has the wrong type or format
	CodeBadFeed        = "bad_feed"       // the feed name does not match FeedPattern
	CodeInvalidText    = "invalid_text"   // text empty or longer than MaxTextChars
	CodeInvalidName    = "invalid_name"   // display name empty or longer than MaxNameChars
	CodeBadReaction    = "bad_reaction"   // emoji not in Reactions
	CodeTooManySubs    = "too_many_subs"  // more than MaxSubscriptions feeds
	CodeTooManyFeeds   = "too_many_feeds" // the server holds MaxFeeds feeds already
	CodeNotFound       = "not_found"      // the post does not exist (or was deleted)
	CodeForbidden      = "forbidden"      // the post belongs to someone else
	CodeNotSubscribed  = "not_subscribed" // unsubscribe from a feed not followed
	CodeHelloRequired  = "hello_required" // a message before hello, or a second hello
	CodeRateLimited    = "rate_limited"   // too many messages; RetryAfterMS says when to send again
	CodeUnsupportedVer = "unsupported_version"
	CodeUnauthorized   = "unauthorized"
	// The session was ended (signed out, here or on another device, or
	// expired); the connection is closed with CloseSignedOut. The client
	// must not reconnect with the same session: it shows the sign-in.
	CodeSignedOut = "signed_out"
	// An account's handle breaks the handle rules (3..30 letters, digits
	// and _, starting with a letter, one script), or is taken (by it or
	// one that looks like it: case folding and confusable skeleton).
	CodeBadHandle   = "invalid_handle"
	CodeHandleTaken = "handle_taken"
	CodeInternal    = "internal" // the server failed; the action may be retried with the same op
	CodeTooBig      = "too_big"  // over the HTTP transport: a message over MaxFrameBytes, or a request over its limits
)

// Error is a typed error reply. Op and Feed name the action it answers,
// when it answers one.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Op      string `json:"op,omitempty"`
	Feed    string `json:"feed,omitempty"`
	// Temporary is true when the same action may succeed if sent again later.
	Temporary    bool  `json:"temporary,omitempty"`
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
}

func (e *Error) Error() string {
	if e.Op != "" {
		return fmt.Sprintf("%s: %s (op %s)", e.Code, e.Message, e.Op)
	}
	return e.Code + ": " + e.Message
}

// Errorf returns an Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns a CodeRateLimited error: temporary, retry after wait
// (rounded up to the next millisecond, so a client that waits exactly that
// long finds the limit lifted).
func RateLimited(wait time.Duration, format string, args ...any) *Error {
	e := Errorf(CodeRateLimited, format, args...)
	e.Temporary, e.RetryAfterMS = true, wait.Milliseconds()+1
	return e
}

// AsError returns err as an *Error if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// WebSocket close codes the server uses (4000-4999 are ours). Because a
// browser cannot read a close code, each is preceded by a GoAway or Error
// message saying the same.
const (
	// CloseNormal: the client asked to close, or the server closes a
	// finished connection.
	CloseNormal = 1000
	// CloseMessageTooBig: a frame over MaxFrameBytes (sent by the
	// WebSocket library itself).
	CloseMessageTooBig = 1009
	// CloseRestart: the server is shutting down or restarting; GoAway
	// gives the window to come back in.
	CloseRestart = 4000
	// CloseSlowConsumer: the connection's send queue overflowed; resume
	// from the last applied position.
	CloseSlowConsumer = 4001
	// CloseDead: no traffic for DeadAfter; heartbeat timeout.
	CloseDead = 4002
	// CloseUnsupportedVersion: the subprotocol was not negotiated; the
	// client must update.
	CloseUnsupportedVersion = 4003
	// CloseOverloaded: the server has too many connections; GoAway gives
	// the window to come back in.
	CloseOverloaded = 4004
	// CloseProtocolError: the client broke the protocol repeatedly
	// (MaxBadMessages malformed messages in a row).
	CloseProtocolError = 4005
	// CloseSignedOut: the connection's session was revoked (sign-out,
	// "sign out everywhere", an expired or pushed-out session), on any
	// node. An Error with CodeSignedOut comes first. The client stops
	// reconnecting and signs out; its token now gets HTTP 401.
	CloseSignedOut = 4006
	// CloseClientGoingAway: the client closes (sent by the client, e.g.
	// before reconnecting); browsers may send only 1000 and 3000-4999.
	CloseClientGoingAway = 4100
)

// MaxBadMessages is how many malformed messages in a row a connection may
// send before it is closed with CloseProtocolError; each gets an Error.
const MaxBadMessages = 20
