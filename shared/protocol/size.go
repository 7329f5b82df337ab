package protocol

import (
	"strconv"
	"unicode/utf8"
)

// The encoded size of a message, computed without encoding it: the server
// builds a snapshot post by post within MaxSnapshotBytes. Each function
// returns exactly what encoding/json writes for the value (Encode does not
// indent), which TestEncodedLen checks.

// stringLen is the length of s as a JSON string, quotes included, escaped
// as encoding/json escapes it (HTML characters too).
func stringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\n' || b == '\r' || b == '\t' || b == '\b' || b == '\f':
				n += 2
			case b < 0x20 || b == '<' || b == '>' || b == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6 // \ufffd
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

func uintLen(v uint64) int { return len(strconv.FormatUint(v, 10)) }
func intLen(v int64) int   { return len(strconv.FormatInt(v, 10)) }

// userLen is the encoded length of u: {"id":…,"name":…}.
func userLen(u User) int {
	return len(`{"id":,"name":}`) + stringLen(u.ID) + stringLen(u.Name)
}

// reactionLen is the encoded length of r.
func reactionLen(r Reaction) int {
	n := len(`{"emoji":,"users":}`) + stringLen(r.Emoji)
	if r.Users == nil {
		n += len("null")
	} else {
		n += 2 + max(len(r.Users)-1, 0) // [ ] and commas
		for _, u := range r.Users {
			n += userLen(u)
		}
	}
	if r.Count != 0 {
		n += len(`,"count":`) + intLen(int64(r.Count))
	}
	return n
}

// PostLen is the encoded length of p, as an element of a snapshot's posts.
func PostLen(p Post) int {
	n := len(`{"id":,"feed":,"author":,"text":,"created":,"pos":}`) +
		stringLen(p.ID) + stringLen(p.Feed) + userLen(p.Author) + stringLen(p.Text) +
		intLen(p.Created) + uintLen(p.Pos)
	if p.Edited != 0 {
		n += len(`,"edited":`) + intLen(p.Edited)
	}
	if len(p.Reactions) > 0 {
		n += len(`,"reactions":[]`) + len(p.Reactions) - 1
		for _, r := range p.Reactions {
			n += reactionLen(r)
		}
	}
	return n
}

// SnapshotLen is the encoded length of the snapshot message of feed at pos
// with no posts; each post adds PostLen, and a comma after the first.
func SnapshotLen(feed string, pos uint64, truncated bool) int {
	n := len(`{"type":"snapshot","data":{"feed":,"pos":,"posts":[]}}`) + stringLen(feed) + uintLen(pos)
	if truncated {
		n += len(`,"truncated":true`)
	}
	return n
}

// HistoryLen is the encoded length of a History page with no posts (End
// set); each post adds PostLen, and a comma after the first.
func HistoryLen(feed string, pos, before uint64) int {
	return len(`{"feed":,"pos":,"before":,"posts":[],"end":true}`) + stringLen(feed) + uintLen(pos) + uintLen(before)
}
