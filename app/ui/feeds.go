package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
)

// The page's side of the feed list (feed-nav.go): which feeds it holds,
// what the session follows, and the unread counts.

// loadFeedList reads the user's feed list, with the one shown on it (if
// there is room). Only feeds the person opened are listed (and followed):
// the main feed too only once opened.
func (p *feedPage) loadFeedList() {
	p.joined = loadJoined(newLocalStore(p.user.ID).Get)
	_ = p.joined.add(p.feed)
	p.saveFeedList()
}

func (p *feedPage) saveFeedList() {
	if p.user.ID != "" {
		_ = newLocalStore(p.user.ID).Set(keyJoined, p.joined.encode())
	}
}

// followFeeds makes the session follow exactly the listed feeds and the
// one shown.
func (p *feedPage) followFeeds(s *session.Session) {
	want := map[string]bool{p.feed: true}
	for _, f := range p.joined.Feeds {
		want[f] = true
	}
	for _, f := range s.Following() {
		if !want[f] {
			s.Unfollow(f)
		}
	}
	s.Follow(p.feed)
	for _, f := range p.joined.Feeds {
		s.Follow(f)
	}
}

// openFeed adds a feed to the list and opens it.
func (p *feedPage) openFeed(ctx app.Context, name string) string {
	if err := p.joined.add(name); err != nil {
		return err.Error()
	}
	p.saveFeedList()
	ctx.Navigate(FeedPath(name))
	return ""
}

// leaveFeed takes a feed off the list; the session stops following it.
func (p *feedPage) leaveFeed(ctx app.Context, name string) {
	if name == p.feed || !p.joined.remove(name) {
		return
	}
	p.saveFeedList()
	if s := cl.session(); s != nil {
		p.followFeeds(s)
	}
	p.sync(ctx)
}

// feedItems returns the feed list as shown, and records how far the feed
// shown has been read. A feed first seen is read up to where it is.
func (p *feedPage) feedItems(s *session.Session) []feedItem {
	changed := false
	items := make([]feedItem, 0, len(p.joined.Feeds))
	for _, name := range p.joined.Feeds {
		pos, synced := s.FeedPos(name)
		read, known := p.joined.readPos(name)
		if synced && (name == p.feed || !known) {
			changed = p.joined.read(name, pos) || changed
			read = max(read, pos)
		}
		it := feedItem{Name: name, Current: name == p.feed}
		if !it.Current && synced {
			it.Unread = s.PostsSince(name, read, p.user.ID)
		}
		items = append(items, it)
	}
	if changed {
		p.saveFeedList()
	}
	return items
}
