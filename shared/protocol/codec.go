package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Envelope is the shape of every message on the wire:
//
//	{"type": "post", "data": {...}}
type Envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Encode returns the wire form of m: exactly json.Marshal of its
// Envelope, written around m's encoding in one pass (marshalling the
// Envelope would copy and re-scan the data, which for a snapshot of 500
// posts was a third of its cost; TestEncodeIsEnvelope holds them equal).
func Encode(m Message) ([]byte, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("protocol: encode %s: %w", m.MsgType(), err)
	}
	return envelope(m.MsgType(), data), nil
}

// envelope returns {"type":typ,"data":data} for data that json.Marshal
// wrote (valid, compact, HTML-escaped: as the Envelope's json.RawMessage
// would leave it) and a type name of [a-z_] (every Type* constant).
func envelope(typ string, data []byte) []byte {
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; (c < 'a' || c > 'z') && c != '_' {
			b, _ := json.Marshal(Envelope{Type: typ, Data: data})
			return b
		}
	}
	const head, mid = `{"type":"`, `","data":`
	b := make([]byte, 0, len(head)+len(typ)+len(mid)+len(data)+1)
	b = append(b, head...)
	b = append(b, typ...)
	b = append(b, mid...)
	b = append(b, data...)
	return append(b, '}')
}

// MustEncode is Encode for messages that cannot fail to encode (all of
// this package's types).
func MustEncode(m Message) []byte {
	b, err := Encode(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Decode parses one message. Errors are *Error with a code saying what is
// wrong (CodeBadUTF8, CodeBadJSON, CodeUnknownType, CodeBadField,
// CodeMissingField, CodeBadFeed, ...). Decode checks structure and formats;
// limits that depend on server state are checked by the server.
func Decode(b []byte) (Message, error) {
	if !utf8.Valid(b) {
		return nil, Errorf(CodeBadUTF8, "message is not valid UTF-8")
	}
	// Most messages are exactly what Encode writes: their data is
	// decoded where it lies, without the envelope's own pass (which
	// scans and copies all of it first). Anything else, and any error,
	// takes the envelope's way, which says what is wrong.
	if typ, data, ok := envelopeParts(b); ok {
		if m, err := newMessage(typ); err == nil && json.Unmarshal(data, m) == nil {
			return checked(deref(m, typ))
		}
	}
	return decodeEnvelope(b)
}

// envelopeParts splits {"type":"<[a-z_]+>","data":<data>} (Encode's
// form, no spaces) into its type and the bytes of its data, which
// json.Unmarshal then finds to be one value or not.
func envelopeParts(b []byte) (typ string, data []byte, ok bool) {
	const head, mid = `{"type":"`, `","data":`
	if !bytes.HasPrefix(b, []byte(head)) || len(b) < len(head)+len(mid)+2 || b[len(b)-1] != '}' {
		return "", nil, false
	}
	i := len(head)
	for i < len(b) && (b[i] >= 'a' && b[i] <= 'z' || b[i] == '_') {
		i++
	}
	if i == len(head) || !bytes.HasPrefix(b[i:], []byte(mid)) {
		return "", nil, false
	}
	return string(b[len(head):i]), b[i+len(mid) : len(b)-1], true
}

// checked returns msg, or the error its validation finds.
func checked(msg Message) (Message, error) {
	if v, ok := msg.(interface{ validate() *Error }); ok {
		if e := v.validate(); e != nil {
			return nil, e
		}
	}
	return msg, nil
}

// decodeEnvelope is Decode by way of the Envelope, for valid UTF-8.
func decodeEnvelope(b []byte) (Message, error) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, Errorf(CodeBadJSON, "message is not a JSON envelope: %v", jsonReason(err))
	}
	if env.Type == "" {
		return nil, Errorf(CodeMissingField, "missing field \"type\"")
	}
	m, err := newMessage(env.Type)
	if err != nil {
		return nil, err
	}
	data := env.Data
	if len(bytes.TrimSpace(data)) == 0 || bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, Errorf(CodeBadField, "field %q of %s must be %s", te.Field, env.Type, te.Type)
		}
		return nil, Errorf(CodeBadJSON, "%s data: %v", env.Type, jsonReason(err))
	}
	return checked(deref(m, env.Type))
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	return err.Error()
}

func newMessage(typ string) (any, error) {
	switch typ {
	case TypeHello:
		return &Hello{}, nil
	case TypeSubscribe:
		return &Subscribe{}, nil
	case TypeUnsubscribe:
		return &Unsubscribe{}, nil
	case TypePost, TypeEdit, TypeDelete, TypeReact:
		return &Action{kind: typ}, nil
	case TypeWelcome:
		return &Welcome{}, nil
	case TypeSnapshot:
		return &Snapshot{}, nil
	case TypeEvent:
		return &Event{}, nil
	case TypeAck:
		return &Ack{}, nil
	case TypeError:
		return &Error{}, nil
	case TypeHistoryGone:
		return &HistoryGone{}, nil
	case TypePresence:
		return &Presence{}, nil
	case TypeGoAway:
		return &GoAway{}, nil
	case TypeHeartbeat:
		return &Heartbeat{}, nil
	case TypeSubscribed:
		return &Subscribed{}, nil
	}
	return nil, Errorf(CodeUnknownType, "unknown message type %q", truncate(typ, 40))
}

func deref(m any, typ string) Message {
	switch v := m.(type) {
	case *Hello:
		return *v
	case *Subscribe:
		return *v
	case *Unsubscribe:
		return *v
	case *Action:
		v.kind = typ
		return *v
	case *Welcome:
		return *v
	case *Snapshot:
		return *v
	case *Event:
		return *v
	case *Ack:
		return *v
	case *Error:
		return v
	case *HistoryGone:
		return *v
	case *Presence:
		return *v
	case *GoAway:
		return *v
	case *Heartbeat:
		return *v
	case *Subscribed:
		return *v
	}
	panic("protocol: no message for " + typ)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func missing(field, typ string) *Error {
	return Errorf(CodeMissingField, "missing field %q in %s", field, typ)
}

func checkSub(s Sub, typ string) *Error {
	if s.Feed == "" {
		return missing("feed", typ)
	}
	if !ValidFeed(s.Feed) {
		return badFeed(s.Feed)
	}
	switch s.Mode {
	case "":
		return missing("mode", typ)
	case ModeSnapshot, ModeResume, ModeLive:
	default:
		return Errorf(CodeBadField, "mode %q is not snapshot, resume or live", truncate(s.Mode, 20))
	}
	return checkEpoch(s.Epoch)
}

func checkEpoch(epoch string) *Error {
	if len(epoch) > MaxEpochBytes {
		return Errorf(CodeBadField, "epoch longer than %d bytes", MaxEpochBytes)
	}
	return nil
}

func badFeed(name string) *Error {
	return Errorf(CodeBadFeed, "feed name %q does not match %s", truncate(name, 40), FeedPattern)
}

func (h Hello) validate() *Error {
	if len(h.Subs) > MaxSubscriptions {
		return Errorf(CodeTooManySubs, "at most %d subscriptions per connection", MaxSubscriptions)
	}
	seen := map[string]bool{}
	for _, s := range h.Subs {
		if e := checkSub(s, TypeHello); e != nil {
			return e
		}
		if seen[s.Feed] {
			return Errorf(CodeBadField, "feed %q subscribed twice", s.Feed)
		}
		seen[s.Feed] = true
	}
	return nil
}

func (s Subscribe) validate() *Error { return checkSub(s.Sub, TypeSubscribe) }

func (u Unsubscribe) validate() *Error {
	if u.Feed == "" {
		return missing("feed", TypeUnsubscribe)
	}
	if !ValidFeed(u.Feed) {
		return badFeed(u.Feed)
	}
	return nil
}

// Validate checks an action as the server checks it on the wire (Decode):
// the op id, the feed, the target post, the text and the emoji. It returns
// a *Error.
func (a Action) Validate() error {
	if e := a.validate(); e != nil {
		return e
	}
	return nil
}

func (a Action) validate() *Error {
	e := a.check()
	if e != nil {
		e.Op, e.Feed = a.Op, a.Feed
		if !ValidOpID(a.Op) {
			e.Op = ""
		}
		if !ValidFeed(a.Feed) {
			e.Feed = ""
		}
	}
	return e
}

func (a Action) check() *Error {
	if a.Op == "" {
		return missing("op", a.kind)
	}
	if !ValidOpID(a.Op) {
		return Errorf(CodeBadField, "op must be 1..%d characters of A-Z a-z 0-9 _ -", MaxOpIDBytes)
	}
	if a.Feed == "" {
		return missing("feed", a.kind)
	}
	if !ValidFeed(a.Feed) {
		return badFeed(a.Feed)
	}
	if a.kind != TypePost && a.ID == "" {
		return missing("id", a.kind)
	}
	if e := checkEpoch(a.Epoch); e != nil {
		return e
	}
	switch a.kind {
	case TypePost, TypeEdit:
		if a.Text == "" {
			return missing("text", a.kind)
		}
		if _, err := CheckText(a.Text); err != nil {
			return err
		}
	case TypeReact:
		if a.Emoji == "" {
			return missing("emoji", a.kind)
		}
		if !ValidReaction(a.Emoji) {
			return Errorf(CodeBadReaction, "emoji %q is not one of %s", truncate(a.Emoji, 16), strings.Join(Reactions, " "))
		}
	}
	return nil
}

// CheckText trims s and checks it is 1..MaxTextChars code points of valid
// UTF-8 with no control characters but tab, line feed and carriage return
// (2,000 NULs made an invisible post). It returns the trimmed text.
func CheckText(s string) (string, *Error) {
	if !utf8.ValidString(s) {
		return "", Errorf(CodeBadUTF8, "text is not valid UTF-8")
	}
	t := strings.TrimSpace(s)
	n := utf8.RuneCountInString(t)
	if n == 0 {
		return "", Errorf(CodeInvalidText, "text is empty")
	}
	if n > MaxTextChars {
		return "", Errorf(CodeInvalidText, "text is %d characters; at most %d", n, MaxTextChars)
	}
	for _, r := range t {
		if isControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return "", Errorf(CodeInvalidText, "text contains the control character U+%04X", r)
		}
		if isOverride(r) {
			return "", Errorf(CodeInvalidText, "text contains the direction override U+%04X, which would reorder what follows it", r)
		}
	}
	return t, nil
}

// isControl reports whether r is a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// CheckName trims s and checks it is a display name of 1..MaxNameChars
// code points without control characters, nor invisible or
// direction-changing ones (invisible.go). It returns the trimmed name.
func CheckName(s string) (string, *Error) {
	if !utf8.ValidString(s) {
		return "", Errorf(CodeBadUTF8, "name is not valid UTF-8")
	}
	t := strings.TrimSpace(s)
	n := utf8.RuneCountInString(t)
	if n == 0 {
		return "", Errorf(CodeInvalidName, "display name is empty")
	}
	if n > MaxNameChars {
		return "", Errorf(CodeInvalidName, "display name is %d characters; at most %d", n, MaxNameChars)
	}
	for _, r := range t {
		if isControl(r) {
			return "", Errorf(CodeInvalidName, "display name contains control characters")
		}
		if isHiddenInName(r) {
			return "", Errorf(CodeInvalidName, "display name contains the invisible or direction-changing character U+%04X", r)
		}
	}
	if !nameJoinerOK([]rune(t)) {
		return "", Errorf(CodeInvalidName, "display name has a zero-width joiner that joins nothing")
	}
	return t, nil
}
