package node

import (
	"net/http"

	"livefeed/shared/protocol"
)

// FirstPaint is what a page the app's handler prerenders shows its reader
// (ui.FirstPaintFunc): the user of the request's session (cookie or
// bearer token, checked as every handler checks it: auth.Sessions.Identify)
// and feed's newest posts as they see them, from this node's own view (at
// most maxPosts, at most maxBytes encoded, and whether they reach back to
// the feed's first post). ok is false when the request has no valid
// session, or the sessions cannot be read: the page is then prerendered
// for no one, and the app asks again.
func (n *Node) FirstPaint(r *http.Request, feed string, maxPosts, maxBytes int) (u protocol.User, snap protocol.Snapshot, begins, ok bool) {
	sess, err := n.Auth.Identify(r)
	if err != nil {
		return protocol.User{}, protocol.Snapshot{}, false, false
	}
	snap, begins = n.Service.View().Newest(feed, sess.User.ID, maxPosts, maxBytes)
	return sess.User, snap, begins, true
}
