package hub

import "sync/atomic"

// ShardSize is how many of a feed's subscribers one fan-out sweeps. A feed
// with more is split into shards of at most ShardSize subscribers, each
// with a fan-out of its own (its own sweep goroutine, pending events and
// window, see fanout), so that the passes over a big feed's subscribers
// run in parallel on every core the server has: a 10,000-subscriber feed
// is 10 shards. A feed of ShardSize subscribers or fewer is one shard, a
// single sweep, as before sharding.
//
// Each subscriber is in exactly one shard, for as long as it is
// subscribed: it is never moved to another, so one goroutine at a time
// offers it events, in order, each once. A shard left empty is removed
// (unless it is the feed's last: then the feed goes); a join fills the
// first shard with room, so the holes left by departures are filled
// before a new shard is made: a feed has at most as many shards as the
// most subscribers it had at once needed (the shards of a crowd that left
// stay, part-filled, until they empty).
//
// Why 1024: a shard costs, per event, a copy of the event's frame into its
// window and a pass's fixed work (a lock, a snapshot of its list), about a
// microsecond, against about 1024 sends of 7–10 µs each; and a shard's
// window (MaxFanoutWindow) is then at most 4 KiB per subscriber, a fifth
// of what an idle connection costs. More, smaller shards would balance
// better on many cores; fewer, bigger ones would not keep two busy with
// fewer than 2,048 subscribers (the harness's scenarios have 1,000 to
// 10,000).
const ShardSize = 1024

// shard is one part of a feed's subscribers and its fan-out. Its list
// changes under Hub.mu, held for writing.
type shard struct {
	list   []Sink      // the sinks, in the order a pass visits them
	shared atomic.Bool // list was handed to the fan-out: copy before changing it
	fan    *fanout
}

func newShard() *shard {
	sh := &shard{}
	sh.fan = newFanout(sh)
	return sh
}

// ownList makes sh.list safe to change: a copy if the fan-out holds it.
func (sh *shard) ownList() {
	if sh.shared.Load() {
		sh.list = append(make([]Sink, 0, len(sh.list)+len(sh.list)/8+1), sh.list...)
		sh.shared.Store(false)
	}
}

// add appends s to the shard and returns its index in the list.
func (sh *shard) add(s Sink) int {
	sh.ownList()
	sh.list = append(sh.list, s)
	return len(sh.list) - 1
}

// remove takes the sink at index i out of the list, moving the last one
// into its place; it returns the moved sink (nil when i was the last).
func (sh *shard) remove(i int) Sink {
	sh.ownList()
	last := len(sh.list) - 1
	var moved Sink
	if i != last {
		moved = sh.list[last]
		sh.list[i] = moved
	}
	sh.list[last] = nil
	sh.list = sh.list[:last]
	return moved
}

// place returns the shard of f a new subscriber joins: the first with
// room, or a new one. f.shards is replaced, never changed in place, when
// a shard is added: Publish reads it after releasing Hub.mu.
func (f *feedSubs) place() *shard {
	for _, sh := range f.shards {
		if len(sh.list) < ShardSize {
			return sh
		}
	}
	sh := newShard()
	f.shards = append(f.shards[:len(f.shards):len(f.shards)], sh)
	return sh
}

// drop removes the empty shard sh from f (copying f.shards, as place
// does). Its fan-out, if it still sweeps, finds nobody and ends; no event
// is published to it any more.
func (f *feedSubs) drop(sh *shard) {
	shards := make([]*shard, 0, len(f.shards)-1)
	for _, o := range f.shards {
		if o != sh {
			shards = append(shards, o)
		}
	}
	f.shards = shards
}
