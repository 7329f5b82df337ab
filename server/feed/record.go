package feed

import (
	"encoding/json"
	"fmt"
	"strconv"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// record is the payload of one log record: a validated, resolved action.
type record struct {
	Kind   string        `json:"k"`
	Op     string        `json:"op"`
	Prev   uint64        `json:"prev"` // previous record of the same feed (0: none)
	Author protocol.User `json:"a"`
	ID     string        `json:"id,omitempty"` // target post (edit, delete, react)
	Text   string        `json:"text,omitempty"`
	Emoji  string        `json:"emoji,omitempty"`
	On     bool          `json:"on,omitempty"`
}

// PostID returns the id of the post created by the record at seq.
func PostID(seq uint64) string { return "p" + strconv.FormatUint(seq, 10) }

// EventOf decodes a log record into the event clients receive.
func EventOf(r eventlog.Record) (protocol.Event, error) {
	var rec record
	if err := json.Unmarshal(r.Data, &rec); err != nil {
		return protocol.Event{}, fmt.Errorf("feed: record %d: %w", r.Seq, err)
	}
	e := protocol.Event{
		Feed: r.Feed, Pos: r.Seq, Prev: rec.Prev, Time: r.Time.UnixMilli(),
		Kind: rec.Kind, Op: rec.Op, Author: rec.Author, ID: rec.ID, Text: rec.Text, Emoji: rec.Emoji, On: rec.On,
	}
	if rec.Kind == protocol.KindPost {
		e.ID = PostID(r.Seq)
	}
	return e, nil
}

// opKey scopes op ids by user, so one user cannot shadow another's ops.
func opKey(userID, op string) string { return userID + "/" + op }
