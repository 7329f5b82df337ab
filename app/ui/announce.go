package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// announceQuiet is how long the feed must stay quiet before new posts are
// announced: no new post by someone else arriving, and the reader not
// typing (in the compose box or an editor) for that long. A burst of posts
// is then one announcement ("3 new posts from Ada"), not one per post, and
// a screen reader does not talk over the reader's own typing.
const announceQuiet = 2 * time.Second

// announcer says, in a visually hidden polite live region (the page's only
// announcement of new posts: the "N new posts" pill is not a live region),
// how many posts by others have arrived. Posts the reader made, the
// posts of a feed as it opens or is replaced (a snapshot, a page of older
// history) are not new and are not announced.
type announcer struct {
	feed, user string          // whose counts these are; a change starts afresh
	seen       map[string]bool // posts already counted or not new
	n          int             // new posts not announced yet
	authors    []string        // their authors' names, in order of arrival
	lastAt     time.Time       // when the last of them arrived
	typedAt    time.Time       // when the reader last typed
	waiting    bool            // a check is scheduled (announceDue)
	text       string          // what the live region says
	said       int             // announcements made
}

// note counts the posts by others that are new (isNew) and not counted
// before; it reports whether there were any.
func (a *announcer) note(feed, me string, posts []protocol.Post, isNew func(id string) bool, now time.Time) bool {
	if a.feed != feed || a.user != me || a.seen == nil {
		*a = announcer{feed: feed, user: me, seen: map[string]bool{}, typedAt: a.typedAt, waiting: a.waiting, text: a.text, said: a.said}
	}
	arrived := false
	for _, p := range posts {
		if a.seen[p.ID] {
			continue
		}
		a.seen[p.ID] = true
		if p.Author.ID == me || !isNew(p.ID) {
			continue
		}
		a.n++
		if !containsString(a.authors, p.Author.Name) {
			a.authors = append(a.authors, p.Author.Name)
		}
		a.lastAt, arrived = now, true
	}
	return arrived
}

// wait returns how long until the announcement is due (<= 0: now).
func (a *announcer) wait(now time.Time) time.Duration {
	last := a.lastAt
	if a.typedAt.After(last) {
		last = a.typedAt
	}
	return last.Add(announceQuiet).Sub(now)
}

// announce puts what arrived into the live region. The same words twice
// in a row differ by a trailing no-break space, so that they change the
// region and are spoken again.
func (a *announcer) announce() {
	if a.n == 0 {
		return
	}
	msg := newPostsText(a.n, a.authors)
	if a.said%2 == 1 {
		msg += "\u00a0"
	}
	a.text, a.said = msg, a.said+1
	a.n, a.authors = 0, nil
}

// newPostsText is the announcement: "1 new post from Ada", "3 new posts
// from Ada and Bob", "7 new posts" (three authors or more).
func newPostsText(n int, authors []string) string {
	s := plural(n, "new post", "new posts")
	switch len(authors) {
	case 1:
		return s + " from " + authors[0]
	case 2:
		return s + " from " + authors[0] + " and " + authors[1]
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// noteArrivals is called by sync once it has decided which posts are
// shown (known) and which just appeared (fresh): a post is new if it just
// appeared or is held back for the "N new posts" pill.
func (p *feedPage) noteArrivals(posts []protocol.Post, now time.Time) {
	isNew := func(id string) bool {
		_, fresh := p.fresh[id]
		return fresh || !p.known[id]
	}
	if p.announce.note(p.feed, p.user.ID, posts, isNew, now) {
		p.scheduleAnnounce()
	}
}

// typing notes a keystroke of the reader: announcements wait for a pause.
func (p *feedPage) typing() { p.announce.typedAt = time.Now() }

// scheduleAnnounce checks again when the announcement may be due.
func (p *feedPage) scheduleAnnounce() {
	if p.announce.waiting || !app.IsClient {
		return
	}
	p.announce.waiting = true
	p.ctx.After(max(p.announce.wait(time.Now()), 0), p.announceDue)
}

// announceDue announces, or waits on while the feed or the reader is busy.
func (p *feedPage) announceDue(ctx app.Context) {
	p.announce.waiting = false
	if p.announce.n == 0 {
		ctx.PreventUpdate()
		return
	}
	if p.announce.wait(time.Now()) > 0 {
		p.scheduleAnnounce()
		ctx.PreventUpdate()
		return
	}
	p.announce.announce()
}

// announcement is the live region (empty until something is announced).
func (p *feedPage) announcement() app.UI {
	return app.Div().ID("announcer").Class("sr-only").Aria("live", "polite").Aria("atomic", true).
		Text(p.announce.text)
}
