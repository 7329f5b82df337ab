package feed

import (
	"hash/fnv"
	"sync"
)

// The write pipeline of each feed: the actions this node has stored in the
// log (eventlog.Log.Store) but its view has not applied yet. Do holds a
// feed's lock only to validate an action and store it, not while the record
// is made durable and applied: the next action of the feed validates
// against the view plus these, expecting the last of them as the feed's
// last position. Before, the lock was held until the view had applied the
// record, so one feed took one action per fsync round (docs/performance.md,
// "Durable writes").
//
// What the pipeline tells Do, beyond the view:
//   - the feed's last position: the last action stored;
//   - op ids stored but not applied: a resend waits for the first and gets
//     its acknowledgement, as a duplicate;
//   - the posts touched by actions in flight (edits, deletions,
//     reactions): an action on one of them waits until they are applied,
//     then validates against the view (whether the post exists, who wrote
//     it, whether the user's reaction is on), so no rule of check is
//     written twice;
//   - that the feed is not new (a post to it is in flight).
//
// Forgetting an entry is always safe: the log's expected last position is
// the truth, so a forgotten action stored in the log makes the next append
// conflict and wait for the view, as an action of another node does. An
// entry is dropped once the view has applied its position, and the whole
// pipeline of a feed is dropped when an action of it could not be made
// durable (its record, and the later ones, may never be applied).

// PipelineDepth bounds the actions of one feed in flight on this node
// (stored, not yet applied by the view): one more waits, holding the
// feed's lock, until the oldest is applied. At 5,000 posts/s into one feed
// and an fsync round plus apply of 20-100 ms (this box), about 100-500 are
// in flight; 1024 leaves room for a round of 200 ms.
const PipelineDepth = 1024

// writeStripes is how many locks the feeds' write paths share (by hash of
// the feed name).
const writeStripes = 256

// inflight is one action stored and not yet applied.
type inflight struct {
	seq    uint64
	key    string // opKey of the action
	target string // the post acted on (edit, delete, react); "" for a post
}

// pipeline is the actions in flight of one feed, in log order, with their
// op keys and the posts they touch indexed (up to PipelineDepth entries are
// searched for every action).
type pipeline struct {
	entries []inflight
	keys    map[string]uint64 // opKey -> seq
	targets map[string]uint64 // post id -> seq of the last action on it
}

// stripe is one write lock and the pipelines of the feeds under it.
type stripe struct {
	mu    sync.Mutex
	feeds map[string]*pipeline
}

func (s *Service) stripeFor(feed string) *stripe {
	h := fnv.New32a()
	h.Write([]byte(feed))
	return &s.stripes[h.Sum32()%writeStripes]
}

// pending returns feed's pipeline (nil: nothing in flight) after dropping
// the entries the view has applied (applied is the view's last position of
// the feed). st.mu held.
func (st *stripe) pending(feed string, applied uint64) *pipeline {
	p := st.feeds[feed]
	if p == nil {
		return nil
	}
	i := 0
	for ; i < len(p.entries) && p.entries[i].seq <= applied; i++ {
		e := p.entries[i]
		if p.keys[e.key] == e.seq {
			delete(p.keys, e.key)
		}
		if e.target != "" && p.targets[e.target] == e.seq {
			delete(p.targets, e.target)
		}
	}
	if i == len(p.entries) {
		delete(st.feeds, feed)
		return nil
	}
	p.entries = p.entries[i:]
	return p
}

// add appends an action just stored. st.mu held.
func (st *stripe) add(feed string, e inflight) {
	if st.feeds == nil {
		st.feeds = map[string]*pipeline{}
	}
	p := st.feeds[feed]
	if p == nil {
		p = &pipeline{keys: map[string]uint64{}, targets: map[string]uint64{}}
		st.feeds[feed] = p
	}
	p.entries = append(p.entries, e)
	p.keys[e.key] = e.seq
	if e.target != "" {
		p.targets[e.target] = e.seq
	}
}

// forget drops feed's pipeline. st.mu held.
func (st *stripe) forget(feed string) { delete(st.feeds, feed) }

// len is how many actions are in flight.
func (p *pipeline) len() int {
	if p == nil {
		return 0
	}
	return len(p.entries)
}

// oldest returns the position of the first action in flight (0: none).
func (p *pipeline) oldest() uint64 {
	if p.len() == 0 {
		return 0
	}
	return p.entries[0].seq
}

// last returns the position of the last action in flight (0: none).
func (p *pipeline) last() uint64 {
	if p.len() == 0 {
		return 0
	}
	return p.entries[len(p.entries)-1].seq
}

// op returns the position of the action in flight with op key k.
func (p *pipeline) op(k string) (uint64, bool) {
	if p == nil {
		return 0, false
	}
	seq, ok := p.keys[k]
	return seq, ok
}

// touching returns the position of the last action in flight on post id
// (0: none).
func (p *pipeline) touching(id string) uint64 {
	if p == nil {
		return 0
	}
	return p.targets[id]
}
