package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// Removing a feed: an operator's record.

// Operator is the author of operators' records (a feed's removal).
var Operator = protocol.User{ID: "operator", Name: "operator"}

// ErrNoFeed: RemoveFeed of a feed with no posts (never used, or removed
// already).
var ErrNoFeed = errors.New("feed: no such feed")

// RemoveFeed appends the removal of feed, an operator's decision, and
// returns its position once the view has applied it. Subscribers get a
// KindRemoved event and drop the feed's posts; the feed no longer counts
// toward protocol.MaxFeeds; a later post starts it anew. op makes a retry
// of the same removal a no-op.
func (s *Service) RemoveFeed(ctx context.Context, feed, op string) (uint64, error) {
	st := s.stripeFor(feed)
	st.mu.Lock()
	defer st.mu.Unlock()
	// The actions of the feed in flight first: the removal follows them.
	for p := st.pending(feed, s.view.FeedLast(feed)); p.len() > 0; p = st.pending(feed, s.view.FeedLast(feed)) {
		if err := s.settle(ctx, protocol.Action{Feed: feed, Op: op}, p.last(), true); err != nil {
			return 0, err
		}
	}
	if o, ok := s.view.op(Operator.ID, op); ok {
		return o.Seq, nil
	}
	if s.view.isNewFeed(feed) {
		return 0, ErrNoFeed
	}
	last := s.view.FeedLast(feed)
	data, err := json.Marshal(record{Kind: protocol.KindRemoved, Op: op, Prev: last, Author: Operator})
	if err != nil {
		return 0, err
	}
	seq, _, err := s.log.Append(ctx, feed, data, eventlog.AppendOptions{ExpectLast: true, LastSeq: last, MsgID: opKey(Operator.ID, op)})
	if err != nil {
		return 0, fmt.Errorf("feed: remove %s: %w", feed, err)
	}
	if err := s.WaitApplied(ctx, seq); err != nil {
		return 0, err
	}
	s.lg.Info("feed removed", "feed", feed, "pos", seq)
	return seq, nil
}
