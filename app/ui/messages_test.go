package ui

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// protocolCodes returns every Code... constant of shared/protocol/errors.go,
// so that a code added there fails TestEveryErrorCodeHasAMessage until it
// has a message.
func protocolCodes(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../shared/protocol/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				codes[name.Name] = v
			}
		}
		return true
	})
	if len(codes) < 10 {
		t.Fatalf("found only %d codes in errors.go", len(codes))
	}
	return codes
}

func checkErr(_ string, e *protocol.Error) *protocol.Error { return e }

func withOp(e *protocol.Error) *protocol.Error { e.Op = "op1"; return e }

func TestEveryErrorCodeHasAMessage(t *testing.T) {
	long := strings.Repeat("x", protocol.MaxTextChars+1)
	cases := []struct {
		err  *protocol.Error
		want string
	}{
		// The server's and the session's own errors, as they make them.
		{checkErr(protocol.CheckText("")), "Please write something first."},
		{checkErr(protocol.CheckText(long)), "That's too long: a post can have at most 2,000 characters."},
		{checkErr(protocol.CheckText("a\x00b")), "The text contains an invisible control character. Please remove it and try again."},
		{checkErr(protocol.CheckName("  ")), "Please enter a display name."},
		{checkErr(protocol.CheckName(strings.Repeat("n", protocol.MaxNameChars+1))), "That name is too long: a display name can have at most 40 characters."},
		{checkErr(protocol.CheckName("a\x01")), "A display name can't contain invisible control characters."},
		{checkErr(protocol.CheckText("\xff")), "The text contains characters that can't be sent. Please check it and try again."},
		{protocol.Errorf(protocol.CodeBadJSON, "body is not the expected JSON: x"), "Livefeed could not understand this request. Reloading the page may help."},
		{protocol.Errorf(protocol.CodeUnknownType, `unknown message type "x"`), "Livefeed could not understand this request. Reloading the page may help."},
		{protocol.Errorf(protocol.CodeMissingField, `missing field "type"`), "Livefeed could not understand this request. Reloading the page may help."},
		{protocol.Errorf(protocol.CodeBadField, "before must be a position"), "Livefeed could not understand this request. Reloading the page may help."},
		{protocol.Errorf(protocol.CodeHelloRequired, "send hello first"), "Livefeed could not understand this request. Reloading the page may help."},
		{protocol.Errorf(protocol.CodeNotSubscribed, `not subscribed to feed "x"`), "Livefeed could not understand this request. Reloading the page may help."},
		{protocol.Errorf(protocol.CodeBadFeed, "feed name does not match %s", protocol.FeedPattern), "Feed names are 1 to 32 lowercase letters, digits, “-” or “_”, starting with a letter or digit."},
		{withOp(protocol.Errorf(protocol.CodeBadReaction, `emoji "x" is not one of`)), "That reaction isn't available. The reactions are " + strings.Join(protocol.Reactions, " ") + "."},
		{protocol.Errorf(protocol.CodeTooManySubs, "at most 16 subscriptions per connection"), "You can follow at most 16 feeds at once. Close one and try again."},
		{withOp(protocol.Errorf(protocol.CodeTooManyFeeds, "the server holds 10000 feeds")), "Livefeed can't start more feeds right now. Please post to an existing feed."},
		{withOp(protocol.Errorf(protocol.CodeNotFound, `post "p1" does not exist in feed "f"`)), "The post no longer exists: it may have been deleted."},
		{protocol.Errorf(protocol.CodeNotFound, `feed "f" has no posts`), "Livefeed could not find that."},
		{withOp(protocol.Errorf(protocol.CodeForbidden, `only the author can edit post "p1"`)), "Only the person who wrote a post can edit or delete it."},
		{protocol.Errorf(protocol.CodeForbidden, `this server does not serve the host "x"`), "Livefeed refused this request. Open Livefeed at its own address and try again."},
		{protocol.RateLimited(4200*1e6, "too many sign-ins from your address"), "That's a lot at once. Please wait 5 s and try again."},
		{protocol.Errorf(protocol.CodeRateLimited, "slow down"), "That's a lot at once. Please wait a moment and try again."},
		{protocol.Errorf(protocol.CodeUnsupportedVer, "this server speaks livefeed.v1"), "This version of Livefeed is out of date. Please reload the page to update it."},
		{protocol.Errorf(protocol.CodeUnauthorized, "not signed in"), "You're signed out. Please join again."},
		{protocol.Errorf(protocol.CodeSignedOut, "you were signed out"), sessionEndedMsg},
		{protocol.Errorf(protocol.CodeBadHandle, "a handle is 3 to 30 characters"), "That handle can't be used: 3 to 30 letters, digits or _, starting with a letter, all in one alphabet."},
		{protocol.Errorf(protocol.CodeHandleTaken, "the handle @ada is taken"), "That handle is taken (or one that looks just like it). Please pick another."},
		{protocol.Errorf(protocol.CodeInternal, "could not sign in"), "Something went wrong on Livefeed's side. Please try again."},
		{withOp(protocol.Errorf(protocol.CodeTooBig, "a message over 16384 bytes")), "That is too long to send. Please shorten it and try again."},
		// Not a protocol code: an answer without an error body.
		{apiResponse{Status: 502}.apiError(), "Livefeed isn't answering properly right now. Please try again in a moment."},
		{protocol.Errorf("new_code", "a code this version does not know"), genericError},
		{nil, genericError},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		got := errorMessage(c.err)
		name := "nil"
		if c.err != nil {
			name = c.err.Code + ": " + c.err.Message
			covered[c.err.Code] = true
			if strings.Contains(got, c.err.Message) || strings.Contains(got, c.err.Code) {
				t.Errorf("%s: the message repeats the developer's words: %q", name, got)
			}
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, c.want)
		}
		if !strings.HasSuffix(got, ".") || strings.ToUpper(got[:1]) != got[:1] {
			t.Errorf("%s: %q is not a sentence", name, got)
		}
	}
	for name, code := range protocolCodes(t) {
		if !covered[code] {
			t.Errorf("protocol.%s (%q) has no case here", name, code)
		}
		if errorMessage(&protocol.Error{Code: code}) == genericError {
			t.Errorf("protocol.%s (%q) has no message in messages.go", name, code)
		}
	}
}

func TestErrText(t *testing.T) {
	_, perr := protocol.CheckText("")
	if got := errText(fmt.Errorf("wrapped: %w", perr)); got != "Please write something first." {
		t.Errorf("protocol error: %q", got)
	}
	if got := errText(session.ErrClosed); got != "You're signed out. Please join again." {
		t.Errorf("closed: %q", got)
	}
	if got := errText(errors.New("session: store outbox: localStorage: QuotaExceededError")); strings.Contains(got, "localStorage") || !strings.Contains(got, "storage") {
		t.Errorf("storage: %q", got)
	}
}

func TestProblemText(t *testing.T) {
	// What session.Run reports (session.go's errors, as the session words them).
	for lastErr, want := range map[string]string{
		"": "",
		"session: not signed in (HTTP 401): failed to WebSocket dial": "Livefeed did not accept your sign-in.",
		"session: dial: failed to WebSocket dial: connection refused": "Livefeed could not be reached.",
		"no traffic from the server within the heartbeat deadline":    "The connection went quiet, so Livefeed reconnected.",
		"no answer from the server to a probe":                        "The connection did not answer, so Livefeed reconnected.",
		"missed events (gap in positions); resuming":                  "Some updates were missed, so Livefeed caught up again.",
		"the clock jumped (woke from sleep); reconnecting":            "Your device was asleep, so Livefeed reconnected.",
		"the browser went offline":                                    "Your device went offline.",
		"server closed the connection: restarting":                    "The server closed the connection (it may be restarting).",
		"session: connection lost: use of closed network connection":  "The connection was lost.",
		session.ErrUpdateRequired.Error():                             "This version of Livefeed is too old for the server.",
		"something new":                                               "The connection had a problem (see Technical details).",
	} {
		if got := problemText(lastErr); got != want {
			t.Errorf("problemText(%q) = %q, want %q", lastErr, got, want)
		}
	}
}

func TestWaitText(t *testing.T) {
	for ms, want := range map[int64]string{0: "a moment", 999: "a moment", 1000: "1 s", 1001: "2 s", 119_000: "119 s", 120_000: "2 min", 150_000: "3 min"} {
		if got := waitText(ms); got != want {
			t.Errorf("waitText(%d) = %q, want %q", ms, got, want)
		}
	}
	if thousands(2000) != "2,000" || thousands(999) != "999" || thousands(1234567) != "1,234,567" {
		t.Error("thousands")
	}
}
