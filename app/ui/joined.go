package ui

import (
	"encoding/json"
	"slices"
	"strconv"

	"livefeed/shared/protocol"
)

// MaxJoinedFeeds is how many feeds the feed list holds. The session follows
// every one of them, and the feed shown if it is not listed, on its one
// connection, which may follow protocol.MaxSubscriptions.
const MaxJoinedFeeds = protocol.MaxSubscriptions - 1

// joinedFeeds is the feed list of one person in this browser: the feeds
// they opened, in that order, and how far they have read each (the
// position of the feed when they last had it open), for unread counts. It
// is stored under the user's id, so it survives reloads.
type joinedFeeds struct {
	Feeds []string          `json:"feeds"`
	Read  map[string]uint64 `json:"read,omitempty"`
}

// keyJoined is the store key of the feed list.
const keyJoined = "feeds"

// joinError is why a feed could not be added to the list.
type joinError string

func (e joinError) Error() string { return string(e) }

var errTooManyFeeds = joinError("Your list holds " + strconv.Itoa(MaxJoinedFeeds) + " feeds, as many as it can. Leave one to add another.")

// add puts feed at the end of the list (nothing if it is there already).
func (j *joinedFeeds) add(feed string) error {
	if !protocol.ValidFeed(feed) {
		return joinError(FeedNameRule)
	}
	if slices.Contains(j.Feeds, feed) {
		return nil
	}
	if len(j.Feeds) >= MaxJoinedFeeds {
		return errTooManyFeeds
	}
	j.Feeds = append(j.Feeds, feed)
	return nil
}

// remove takes feed off the list; it reports whether it was there.
func (j *joinedFeeds) remove(feed string) bool {
	i := slices.Index(j.Feeds, feed)
	if i < 0 {
		return false
	}
	j.Feeds = slices.Delete(j.Feeds, i, i+1)
	delete(j.Read, feed)
	return true
}

// read records that the reader has seen feed up to pos; it reports whether
// that moved.
func (j *joinedFeeds) read(feed string, pos uint64) bool {
	if j.Read == nil {
		j.Read = map[string]uint64{}
	}
	if old, ok := j.Read[feed]; ok && old >= pos {
		return false
	}
	j.Read[feed] = pos
	return true
}

// readPos returns how far feed has been read, and false if it never was.
func (j *joinedFeeds) readPos(feed string) (uint64, bool) {
	p, ok := j.Read[feed]
	return p, ok
}

// loadJoined reads the feed list from store (an empty one if none or
// unreadable), keeping only valid names, at most MaxJoinedFeeds.
func loadJoined(get func(key string) ([]byte, bool)) joinedFeeds {
	var j, out joinedFeeds
	if b, ok := get(keyJoined); ok {
		_ = json.Unmarshal(b, &j)
	}
	for _, f := range j.Feeds {
		if out.add(f) != nil {
			continue
		}
		if p, ok := j.Read[f]; ok {
			out.read(f, p)
		}
	}
	return out
}

// encode returns the feed list as stored.
func (j *joinedFeeds) encode() []byte {
	b, _ := json.Marshal(j)
	return b
}
