// Package feed is the feed service: the view derived from the event log
// (posts, reactions, deletions, applied op ids), the validation of user
// actions against it before they are appended to the log, and catching
// subscribers up.
//
// Where things are:
//
//   - service.go: the Service, its configuration and counters;
//   - view.go: the view (the state derived from the log), validation
//     (check), snapshots and pages of older history;
//   - record.go: the log record of an action and the event it becomes;
//   - write.go: the write path (Do): validate, store expecting the feed's
//     last position, retry on a conflict with another node, acknowledge
//     once durable and applied;
//   - pipeline.go: each feed's actions stored and not yet applied, which
//     the next action validates against (the lock is not held across the
//     fsync);
//   - follow.go: following the log (Run): apply, remember, publish;
//   - catchup.go: a new subscription's catch-up from memory, the log or a
//     snapshot (history_gone);
//   - snapshot_share.go: a snapshot encoded once per feed position and
//     shared by its readers (SnapshotMessage, SnapshotFrame);
//   - compact.go: snapshots of the view and trimming the log;
//   - remove.go: an operator's removal of a feed;
//   - client.go: who is asking (WithClient) and the new-feed limits.
package feed
