package ui

import (
	"encoding/json"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// Checking the sign-in with the server (GET /api/session): once after a
// start from the cached sign-in, and while reconnecting keeps failing.

// checkSession asks the server who is signed in and takes its answer
// (verified).
func (p *feedPage) checkSession(ctx app.Context) {
	ctx.Async(func() {
		res, err := fetchAPI(methodGet, "/api/session", nil)
		ctx.Dispatch(func(ctx app.Context) { p.verified(ctx, res, err) })
	})
}

// When reconnecting keeps failing, the sign-in is checked again
// (docs/protocol.md, "Reconnecting"): a browser cannot see why a
// WebSocket upgrade failed, and the server may have ended the session (a
// 401 before the upgrade looks like any failed connection).
const (
	// RecheckAfterAttempts: the sign-in is checked once this many
	// reconnects in a row have failed.
	RecheckAfterAttempts = 3
	// RecheckEvery: while they go on failing, it is checked again at
	// most this often.
	RecheckEvery = 30 * time.Second
)

// recheckDue reports whether the sign-in is to be checked again at now,
// in status, the last check having been at last.
func recheckDue(status session.Status, last, now time.Time) bool {
	return status.State == session.StateReconnecting && status.Attempt >= RecheckAfterAttempts &&
		now.Sub(last) >= RecheckEvery
}

// checkWhileFailing checks the sign-in when recheckDue.
func (p *feedPage) checkWhileFailing(ctx app.Context, now time.Time) {
	if recheckDue(p.status, p.lastCheck, now) {
		p.lastCheck = now
		p.checkSession(ctx)
	}
}

// verified handles the server's answer about a cached sign-in.
func (p *feedPage) verified(ctx app.Context, res apiResponse, err error) {
	if err != nil || res.Status >= 500 {
		return // offline or server trouble: keep the cached session
	}
	if res.Status == statusUnauthorized {
		p.signedOut(ctx, sessionEndedMsg)
		return
	}
	if u, ok := decodeUser(res.Body); ok && u != p.user {
		saveCachedUser(u)
		if u.ID != p.user.ID {
			p.startSession(ctx, u)
		} else {
			p.user = u
		}
	}
}

// decodeUser reads the user of an /api/session answer.
func decodeUser(b []byte) (protocol.User, bool) {
	var v struct {
		User protocol.User `json:"user"`
	}
	if json.Unmarshal(b, &v) != nil || v.User.ID == "" {
		return protocol.User{}, false
	}
	return v.User, true
}
