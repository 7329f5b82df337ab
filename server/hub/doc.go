// Package hub fans events out to the subscribers of each feed and tells
// them who is online.
//
// Fan-out (hub.go, fanout.go, frames.go): an event is encoded once by the
// feed service and framed once here, and the same bytes are offered to
// every subscriber; a subscriber's Deliver never blocks (each connection
// has a bounded queue and is cut off when it overflows). A feed's
// subscribers are split into shards of at most ShardSize (shard.go); each
// shard's fan-out runs in a goroutine of its own while it has events to
// deliver, in parallel with the others, and writes the events that piled
// up during a pass over its subscribers together. A subscriber stays in
// one shard, so one goroutine at a time offers it events, in order.
//
// Presence (presence.go, roster.go): who is online in a feed is kept per
// node, under a lock of its own that the fan-out never takes, and announced
// to the feed's subscribers through a method of its own (DeliverPresence)
// by Run's loop, with no lock held. A hub made with NewCluster also shares
// it with the other nodes of a cluster over NATS (cluster.go), so that a
// user on one node is shown online to users on every node.
package hub
