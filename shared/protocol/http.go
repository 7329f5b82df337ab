package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The HTTP transport: the same messages as the WebSocket, for networks
// where the upgrade does not get through (docs/protocol.md, "Over plain
// HTTP"). No guarantee rests on anything kept between requests: the
// downlink request names every feed and position (its query, or
// Last-Event-ID), and the uplink carries actions, each answered in its
// response, so any node may answer any request. (A node keeps a
// downlink's membership for the next request that names its Conn, and
// nothing else.)

// Paths of the HTTP transport.
const (
	// HTTPDownPath is the downlink: GET, answered as text/event-stream.
	HTTPDownPath = "/api/live/down"
	// HTTPUpPath is the uplink: POST of messages, one JSON message per
	// line (application/x-ndjson), answered with the replies, one a line.
	HTTPUpPath = "/api/live/up"
)

// Downlink modes (the mode query parameter).
const (
	// HTTPStream: one long response, a message per server-sent event.
	HTTPStream = "stream"
	// HTTPPoll: the response ends after the first batch (PollLinger after
	// the first message that is news to the client, see EndsPoll) or
	// after PollHold; the next request continues from the positions it
	// carried.
	HTTPPoll = "poll"
)

// Downlink is what a downlink request asks for.
type Downlink struct {
	Mode   string // HTTPStream or HTTPPoll
	Client string // names the client software, for logs
	Subs   []Sub
	// Continued: the client had this connection's welcome already (the
	// query's "cont=1"), so a poll's welcome is no news and does not end
	// it; the first poll of a connection ends with its welcome.
	Continued bool
	// Conn names the connection whose membership the request continues
	// (Welcome.Conn; the query's "conn"), at most MaxConnIDBytes; a
	// server that does not know it (another node, or later than its
	// grace) starts a new one.
	Conn string
}

// MaxConnIDBytes is the longest Downlink.Conn a request may name (the
// server's are 32 bytes).
const MaxConnIDBytes = 64

// UplinkType is the content type of the uplink request and response.
const UplinkType = "application/x-ndjson"

// Limits and timing of the HTTP transport.
const (
	// PollHold is how long a poll is held open when nothing arrives; it
	// then ends with what it has (welcome, subscribed, presence).
	PollHold = 25 * time.Second
	// PollLinger is how long a poll stays open after its first batch, so
	// that a burst (or a catch-up) goes out in one response.
	PollLinger = 50 * time.Millisecond
	// MaxUplinkMessages is how many messages one uplink request may carry.
	MaxUplinkMessages = 64
	// MaxUplinkBytes bounds an uplink request's body: MaxUplinkMessages
	// messages of MaxFrameBytes and their newlines.
	MaxUplinkBytes = MaxUplinkMessages * (MaxFrameBytes + 1)
)

// Query returns the query of the downlink request d.
func (d Downlink) Query() string {
	q := url.Values{"mode": {d.Mode}}
	if d.Client != "" {
		q.Set("client", d.Client)
	}
	if d.Continued {
		q.Set("cont", "1")
	}
	if d.Conn != "" {
		q.Set("conn", d.Conn)
	}
	for _, s := range d.Subs {
		switch s.Mode {
		case ModeResume:
			v := s.Feed + ":" + strconv.FormatUint(s.Pos, 10)
			if s.Epoch != "" {
				v += ":" + s.Epoch
			}
			q.Add(ModeResume, v)
		default:
			q.Add(s.Mode, s.Feed)
		}
	}
	return q.Encode()
}

// ParseDownlink returns what a downlink request's query asks for, with
// the positions of lastEventID (a cursor; empty: none) taking over: a feed
// it names is resumed from there.
func ParseDownlink(q url.Values, lastEventID string) (d Downlink, err error) {
	d.Mode = q.Get("mode")
	if d.Mode != HTTPStream && d.Mode != HTTPPoll {
		return d, Errorf(CodeBadField, "mode must be %q or %q", HTTPStream, HTTPPoll)
	}
	d.Client = q.Get("client")
	if len(d.Client) > MaxNameChars*4 {
		return d, Errorf(CodeBadField, "client name over %d bytes", MaxNameChars*4)
	}
	d.Continued = q.Get("cont") == "1"
	if d.Conn = q.Get("conn"); len(d.Conn) > MaxConnIDBytes {
		return d, Errorf(CodeBadField, "conn over %d bytes", MaxConnIDBytes)
	}
	cursor, epoch, err := ParseCursor(lastEventID)
	if err != nil {
		return d, err
	}
	seen := map[string]bool{}
	add := func(s Sub) error {
		if !ValidFeed(s.Feed) {
			return Errorf(CodeBadFeed, "feed name %q does not match %s", truncate(s.Feed, 40), FeedPattern)
		}
		if seen[s.Feed] {
			return Errorf(CodeBadField, "feed %q named twice", s.Feed)
		}
		seen[s.Feed] = true
		if p, ok := cursor[s.Feed]; ok {
			// The cursor's epoch replaces the query's: its positions
			// are of the log that sent it.
			s.Mode, s.Pos, s.Epoch = ModeResume, p, epoch
		}
		d.Subs = append(d.Subs, s)
		return nil
	}
	for _, mode := range []string{ModeResume, ModeSnapshot, ModeLive} {
		for _, v := range q[mode] {
			s := Sub{Feed: v, Mode: mode}
			if mode == ModeResume {
				feed, rest, ok := strings.Cut(v, ":")
				pos, epoch, _ := strings.Cut(rest, ":")
				p, perr := strconv.ParseUint(pos, 10, 64)
				if !ok || perr != nil {
					return d, Errorf(CodeBadField, "resume must be FEED:POS or FEED:POS:EPOCH, not %q", truncate(v, 40))
				}
				if e := checkEpoch(epoch); e != nil {
					return d, e
				}
				s.Feed, s.Pos, s.Epoch = feed, p, epoch
			}
			if err := add(s); err != nil {
				return d, err
			}
		}
	}
	if len(d.Subs) > MaxSubscriptions {
		return d, Errorf(CodeTooManySubs, "at most %d subscriptions per connection", MaxSubscriptions)
	}
	return d, nil
}

// FormatCursor returns the cursor of positions in the log of epoch, the
// id of a server-sent event: "feed:pos" pairs in feed order, joined by
// commas, then ";" and the epoch (when not empty), so that a browser's
// Last-Event-ID never resumes a log that was reset (a recreated log
// numbers its positions from 1 again). An epoch holds no comma or
// semicolon (see eventlog.Log.Epoch).
func FormatCursor(positions map[string]uint64, epoch string) string {
	feeds := make([]string, 0, len(positions))
	for f := range positions {
		feeds = append(feeds, f)
	}
	slices.Sort(feeds)
	var b strings.Builder
	for i, f := range feeds {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(positions[f], 10))
	}
	if epoch != "" {
		b.WriteByte(';')
		b.WriteString(epoch)
	}
	return b.String()
}

// ParseCursor parses a cursor made by FormatCursor (empty: none) into its
// positions and epoch ("" when it has none: positions not checked
// against the log's epoch, as a resume without one).
func ParseCursor(s string) (map[string]uint64, string, error) {
	out := map[string]uint64{}
	if s == "" {
		return out, "", nil
	}
	bad := func() error {
		return Errorf(CodeBadField, "Last-Event-ID must be FEED:POS pairs joined by commas, then ;EPOCH, not %q", truncate(s, 40))
	}
	pairs, epoch, _ := strings.Cut(s, ";")
	if e := checkEpoch(epoch); e != nil {
		return nil, "", e
	}
	if strings.ContainsAny(epoch, ",;") {
		return nil, "", bad()
	}
	for _, part := range strings.Split(pairs, ",") {
		feed, pos, ok := strings.Cut(part, ":")
		p, err := strconv.ParseUint(pos, 10, 64)
		if !ok || err != nil || !ValidFeed(feed) {
			return nil, "", bad()
		}
		out[feed] = p
	}
	if len(out) > MaxSubscriptions {
		return nil, "", Errorf(CodeTooManySubs, "at most %d subscriptions per connection", MaxSubscriptions)
	}
	return out, epoch, nil
}

// PeekType returns the type of an encoded message without decoding it
// (the encoder writes it first), or "" when msg does not start so.
func PeekType(msg []byte) string {
	rest, ok := bytes.CutPrefix(msg, []byte(`{"type":"`))
	if i := bytes.IndexByte(rest, '"'); ok && i >= 0 {
		return string(rest[:i])
	}
	return ""
}

// PeekPosition returns the type, feed and position of an encoded event,
// snapshot or subscribed message without decoding it (the encoder writes
// type, then feed and pos first); ok is false for other messages (their
// type is still returned).
func PeekPosition(msg []byte) (typ, feed string, pos uint64, ok bool) {
	switch typ = PeekType(msg); typ {
	case TypeEvent, TypeSnapshot, TypeSubscribed:
	default:
		return typ, "", 0, false
	}
	rest, ok := bytes.CutPrefix(msg[len(`{"type":"`)+len(typ):], []byte(`","data":{"feed":"`))
	if !ok {
		return "", "", 0, false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return "", "", 0, false
	}
	feed = string(rest[:i])
	if rest, ok = bytes.CutPrefix(rest[i:], []byte(`","pos":`)); !ok {
		return "", "", 0, false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	p, err := strconv.ParseUint(string(rest[:n]), 10, 64)
	if err != nil {
		return "", "", 0, false
	}
	return typ, feed, p, true
}

// EndsPoll reports whether a message of type typ ends a poll (after
// PollLinger): what is news to the client. Not the messages every poll
// begins with (subscribed, presence; welcome, unless the poll is the
// first of its connection) nor heartbeats.
func EndsPoll(typ string, continued bool) bool {
	switch typ {
	case TypeSubscribed, TypePresence, TypeHeartbeat:
		return false
	case TypeWelcome:
		return !continued
	}
	return true
}

// AppendSSE appends msg as one server-sent event, with id when it is not
// empty. msg is JSON, which holds no raw newline.
func AppendSSE(b []byte, id string, msg []byte) []byte {
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, msg...)
	return append(b, '\n', '\n')
}

// SSEReader reads server-sent events (the subset the downlink writes:
// id and data fields, comments, one data line per event).
type SSEReader struct {
	r *bufio.Reader
	// LastID is the id of the last event read that had one.
	LastID string
}

// NewSSEReader returns a reader of the events of r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 16<<10)}
}

// ErrSSETooLong is returned for an event line over MaxClientReadBytes.
var ErrSSETooLong = errors.New("protocol: server-sent event over the read limit")

// Next returns the data of the next event; io.EOF when the stream ended
// cleanly between events.
func (s *SSEReader) Next() ([]byte, error) {
	var data []byte
	have := false
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && have {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(line) == 0 {
			if have {
				return data, nil
			}
			continue
		}
		have = true
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "": // a comment
			have = data != nil
		case "id":
			s.LastID = string(value)
		case "data":
			if data != nil {
				data = append(data, '\n')
			}
			data = append(data, value...)
		}
	}
}

func (s *SSEReader) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxClientReadBytes+64 {
			return nil, ErrSSETooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF // a line cut short
		}
		if err != nil {
			return nil, err
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		return line, nil
	}
}
