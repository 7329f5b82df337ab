package feed

import (
	"context"
	"time"

	"livefeed/server/internal/tokenbucket"
	"livefeed/shared/protocol"
)

// DefaultNewFeedRate is how many new feeds a user, and a client address,
// may create an hour (Config.NewFeedRate), in bursts of as many. A post to
// a feed that has no events yet creates it, and protocol.MaxFeeds caps the
// feeds of the server: without this limit one visitor with a script made
// 10,009 feeds in 6 s, after which nobody could create one.
const DefaultNewFeedRate = 30

type clientKey struct{}

// WithClient returns ctx carrying the address of the client an action comes
// from (see clientip), for the limits kept per address.
func WithClient(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientKey{}, addr)
}

func clientOf(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}

// newFeedLimits are the buckets of feed creation, per user and per client
// address; nil: no limit.
type newFeedLimits struct {
	perUser, perAddr *tokenbucket.Keyed
	rate             float64 // per hour
}

func newNewFeedLimits(perHour float64) *newFeedLimits {
	if perHour == 0 {
		perHour = DefaultNewFeedRate
	}
	if perHour < 0 {
		return nil
	}
	perSecond := perHour / 3600
	return &newFeedLimits{
		perUser: tokenbucket.NewKeyed(perSecond, perHour),
		perAddr: tokenbucket.NewKeyed(perSecond, perHour),
		rate:    perHour,
	}
}

// take spends a feed creation of user u from the client of ctx, or says
// how long until one is allowed.
func (l *newFeedLimits) take(ctx context.Context, u protocol.User) *protocol.Error {
	if l == nil {
		return nil
	}
	wait := l.perUser.Take(u.ID)
	if addr := clientOf(ctx); wait == 0 && addr != "" {
		wait = l.perAddr.Take(addr)
	}
	if wait == 0 {
		return nil
	}
	return protocol.RateLimited(wait, "more than %g new feeds an hour from you; post to an existing feed, or try again in %s", l.rate, wait.Round(time.Second))
}
