package ui

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// What the app says when something goes wrong, in people's words. Every
// error code of the protocol (shared/protocol/errors.go) has its message
// here, and every place that shows an error from the server or the session
// goes through this file: the sign-in page (apiErrorText), the compose box
// and the editor (errText), refused actions (errorMessage, in
// rejected-list.go), older history (apiErrorText) and the connection
// details (problemText). The developer's wording stays where developers
// look: the connection details' "Technical details" and the logs.

// errorMessage returns what to tell the person about a protocol error.
// An error that answers an action (Op set) is about a post; one without
// answers a request of the page (sign-in, history).
func errorMessage(e *protocol.Error) string {
	if e == nil {
		return genericError
	}
	action := e.Op != ""
	switch e.Code {
	case protocol.CodeInvalidText:
		return invalidText(e.Message, textProblems)
	case protocol.CodeInvalidName:
		return invalidText(e.Message, nameProblems)
	case protocol.CodeBadUTF8:
		return "The text contains characters that can't be sent. Please check it and try again."
	case protocol.CodeBadJSON, protocol.CodeUnknownType, protocol.CodeMissingField, protocol.CodeBadField,
		protocol.CodeHelloRequired, protocol.CodeNotSubscribed:
		// The app itself sent something the server did not take: an old
		// version, or a bug.
		return "Livefeed could not understand this request. Reloading the page may help."
	case protocol.CodeBadFeed:
		return "Feed names are 1 to 32 lowercase letters, digits, “-” or “_”, starting with a letter or digit."
	case protocol.CodeBadReaction:
		return "That reaction isn't available. The reactions are " + strings.Join(protocol.Reactions, " ") + "."
	case protocol.CodeTooManySubs:
		return "You can follow at most " + strconv.Itoa(protocol.MaxSubscriptions) + " feeds at once. Close one and try again."
	case protocol.CodeTooManyFeeds:
		return "Livefeed can't start more feeds right now. Please post to an existing feed."
	case protocol.CodeNotFound:
		if action {
			return "The post no longer exists: it may have been deleted."
		}
		return "Livefeed could not find that."
	case protocol.CodeForbidden:
		if action {
			return "Only the person who wrote a post can edit or delete it."
		}
		return "Livefeed refused this request. Open Livefeed at its own address and try again."
	case protocol.CodeRateLimited:
		return "That's a lot at once. Please wait " + waitText(e.RetryAfterMS) + " and try again."
	case protocol.CodeUnsupportedVer:
		return "This version of Livefeed is out of date. Please reload the page to update it."
	case protocol.CodeUnauthorized:
		return "You're signed out. Please join again."
	case protocol.CodeSignedOut:
		return sessionEndedMsg
	case protocol.CodeBadHandle:
		return "That handle can't be used: 3 to 30 letters, digits or _, starting with a letter, all in one alphabet."
	case protocol.CodeHandleTaken:
		return "That handle is taken (or one that looks just like it). Please pick another."
	case protocol.CodeInternal:
		return "Something went wrong on Livefeed's side. Please try again."
	case protocol.CodeTooBig:
		return "That is too long to send. Please shorten it and try again."
	}
	if strings.HasPrefix(e.Code, "http_") { // apiResponse.apiError: no error in the answer
		return "Livefeed isn't answering properly right now. Please try again in a moment."
	}
	return genericError
}

// textProblems and nameProblems say what is wrong with a post's text or a
// display name the server refused (protocol.CheckText, CheckName): the
// message of its error says empty, control character, or too long.
var (
	textProblems = invalidProblems{
		empty:   "Please write something first.",
		control: "The text contains an invisible control character. Please remove it and try again.",
		long:    "That's too long: a post can have at most " + thousands(protocol.MaxTextChars) + " characters.",
	}
	nameProblems = invalidProblems{
		empty:   "Please enter a display name.",
		control: "A display name can't contain invisible control characters.",
		long:    "That name is too long: a display name can have at most " + strconv.Itoa(protocol.MaxNameChars) + " characters.",
	}
)

// invalidProblems is what to say for each way a text can be invalid.
type invalidProblems struct{ empty, control, long string }

// invalidText picks what to say from the server's message about the text.
func invalidText(msg string, say invalidProblems) string {
	switch {
	case strings.Contains(msg, "empty"):
		return say.empty
	case strings.Contains(msg, "control character"):
		return say.control
	default:
		return say.long
	}
}

// genericError is the message for an error this file does not know.
const genericError = "Something went wrong. Please try again."

// errText is what the compose box or the editor says when the session
// refuses an action before queueing it.
func errText(err error) string {
	if e, ok := protocol.AsError(err); ok {
		return errorMessage(e)
	}
	if errors.Is(err, session.ErrClosed) {
		return "You're signed out. Please join again."
	}
	// The outbox could not be stored (session.do): localStorage is full or
	// unavailable.
	return "Your browser could not save this (its storage may be full or turned off), so it was not sent. Please try again."
}

// apiErrorText is what to say about an API answer that is not a success.
func apiErrorText(res apiResponse) string { return errorMessage(res.apiError()) }

// waitText says how long to wait: "a moment", "3 s", "2 min".
func waitText(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return "a moment"
	case d < 2*time.Minute:
		return fmtSeconds(d)
	default:
		return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " min"
	}
}

// thousands formats n with a comma between thousands: 2,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// connectionProblems maps what the session reports as its last error
// (session.Status.LastError, worded for developers) to what the connection
// details say first; the first match wins.
var connectionProblems = []struct{ contains, says string }{
	{"not signed in (HTTP 401)", "Livefeed did not accept your sign-in."},
	{"needs a newer client", "This version of Livefeed is too old for the server."},
	{"session: dial:", "Livefeed could not be reached."},
	{"no traffic from the server", "The connection went quiet, so Livefeed reconnected."},
	{"no answer from the server to a probe", "The connection did not answer, so Livefeed reconnected."},
	{"missed events", "Some updates were missed, so Livefeed caught up again."},
	{"the clock jumped", "Your device was asleep, so Livefeed reconnected."},
	{"the browser went offline", "Your device went offline."},
	{"server closed the connection", "The server closed the connection (it may be restarting)."},
	{"connection lost", "The connection was lost."},
}

// problemText says what the session's last error means; "" for none.
func problemText(lastErr string) string {
	if lastErr == "" {
		return ""
	}
	for _, p := range connectionProblems {
		if strings.Contains(lastErr, p.contains) {
			return p.says
		}
	}
	return "The connection had a problem (see Technical details)."
}
