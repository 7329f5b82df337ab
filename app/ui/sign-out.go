package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// Signing out, without losing anything silently.
//
//   - Asking to sign out ends the undo windows: deletes still in theirs go
//     into the outbox (as when the page is hidden). Then, with nothing
//     unsent, it signs out at once.
//   - Otherwise a dialog (leave-dialog.go) says how many changes are not
//     sent yet, with "Stay signed in" (the focused choice; Escape too) and
//     "Sign out anyway". While it is open the session goes on sending, and
//     once the last change is acknowledged the page signs out by itself, as
//     it was asked to (leaveWhenSent). "Sign out anyway" drops them: the
//     person was told how many, and chose.
//   - Signing out closes the session (session.Close: nothing more is sent
//     or stored), removes everything Livefeed keeps in the browser
//     (forget.go: the cached feeds, the outbox, the cached sign-in) and asks
//     the server to end the session cookie, again on the next start if that
//     fails (whoAmI). Other tabs sign out too (watchOtherTabs).
//   - When the sign-out does not come from the person (the server ended the
//     session, another tab signed out), what was not sent cannot be sent by
//     anyone any more (a new sign-in is a new user): the sign-in page says
//     how many changes were lost (leaving).

// Element ids of signing out.
const (
	signOutID     = "sign-out"
	leaveDialogID = "leave-dialog"
	displayNameID = "display-name"
)

// leaveState is where signing out stands.
type leaveState struct {
	asking    bool     // the dialog is open
	storageFn app.Func // the storage event listener (watchOtherTabs)
}

// askSignOut is the header's Sign out.
func (p *feedPage) askSignOut(ctx app.Context) {
	if p.phase != phaseFeed {
		return
	}
	p.sendDeletes(true)
	p.sync(ctx)
	if p.pendingN == 0 {
		p.leaveNow(ctx)
		return
	}
	p.leave.asking = true
}

// staySignedIn closes the dialog and gives the focus back to Sign out.
func (p *feedPage) staySignedIn(ctx app.Context) {
	p.leave.asking = false
	// The modal dialog closes now (the page behind it is inert until then,
	// and could not take the focus); the element goes with the next update.
	if el := app.Window().GetElementByID(leaveDialogID); el.Truthy() && el.Get("open").Truthy() {
		el.Call("close")
	}
	focusID(signOutID)
}

// signOutAnyway signs out, dropping what is not sent yet.
func (p *feedPage) signOutAnyway(ctx app.Context) {
	if p.leave.asking {
		p.leaveNow(ctx)
	}
}

// leaveWhenSent signs out once the changes the dialog waits for are all
// sent (sync calls it after every change).
func (p *feedPage) leaveWhenSent(ctx app.Context) {
	if p.leave.asking && p.phase == phaseFeed && p.pendingN == 0 {
		p.leaveNow(ctx)
	}
}

// signedOut ends the session here and shows the sign-in page, with msg
// (and what was lost, leaving) when the sign-out did not come from the
// person.
func (p *feedPage) signedOut(ctx app.Context, msg string) {
	msg = p.leaving(msg) // what was not sent is dropped, and said
	cl.signOut()
	clearCachedUser()
	p.user, p.phase, p.joinErr = protocol.User{}, phaseSignIn, msg
	p.posts, p.presence, p.rejected, p.newCount = nil, protocol.Presence{}, nil, 0
	p.status = session.Status{}
	p.detailsOpen, p.lastErr, p.lastErrAt = false, "", time.Time{}
	p.feedPos, p.feedSynced, p.cachedN = 0, false, 0
	p.joined, p.feeds = joinedFeeds{}, nil
	p.accountErr, p.deviceCode = "", ""
}

// leaveNow signs out here and on the server.
func (p *feedPage) leaveNow(ctx app.Context) {
	p.signedOut(ctx, "")
	markSignOutPending()
	// The page's context: the element that asked is gone after this update.
	pc := p.ctx
	pc.Async(func() {
		if res, err := fetchAPI(methodDelete, "/api/session", nil); err == nil && res.Status < 500 {
			serverSignedOut()
		}
	})
	pc.Defer(func(app.Context) { focusID(displayNameID) })
}

// leaving is called by signedOut before the session stops: the dialog
// closes, deletes still in their undo window are dropped with the rest of
// the outbox, and when the sign-out did not come from the person (msg is
// set) msg says how many changes could not be sent.
func (p *feedPage) leaving(msg string) string {
	lost := p.pendingN + len(p.deleting)
	clear(p.deleting)
	p.leave.asking = false
	if msg != "" && lost > 0 {
		msg += " " + plural(lost, "change", "changes") + " you made could not be sent."
	}
	return msg
}

// leaveOffline reports whether the dialog should say the page is offline.
func (p *feedPage) leaveOffline() bool {
	return !p.online || p.status.State == session.StateOffline
}

// leaveDialog is the dialog while it is open.
func (p *feedPage) leaveDialog() app.UI {
	return app.If(p.leave.asking && p.phase == phaseFeed, func() app.UI {
		return &leaveDialog{Actor: p, Unsent: p.pendingN, Offline: p.leaveOffline()}
	})
}

// whoAmI asks the server who is signed in (GET /api/session). A sign-out
// the server has not heard of yet (forget.go) is sent first: the old
// cookie must not sign the person in again.
func whoAmI() (apiResponse, error) {
	if signOutPending() {
		res, err := fetchAPI(methodDelete, "/api/session", nil)
		if err != nil {
			return res, err
		}
		if res.Status >= 500 {
			return res, nil // not signed in here; the next start tries again
		}
		serverSignedOut()
	}
	return fetchAPI(methodGet, "/api/session", nil)
}

// signedOutElsewhereMsg is what the sign-in page says after another tab
// signed out (or found the session ended).
const signedOutElsewhereMsg = "You were signed out in another tab."

// sessionEndedMsg is what the sign-in page says when the server ended the
// session (signed out on another device, "sign out everywhere", expiry).
const sessionEndedMsg = "Your session has ended. Join again to continue."

// watchOtherTabs signs this page out when another tab of the same browser
// signs out: it removes the cached sign-in (keyUser), and the browser tells
// the other tabs with a storage event (never the tab that made the change).
func (p *feedPage) watchOtherTabs(ctx app.Context) {
	if !app.IsClient || p.leave.storageFn != nil {
		return
	}
	p.leave.storageFn = app.FuncOf(func(_ app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		key := args[0].Get("key")
		// A null key: the whole storage was cleared.
		if key.IsNull() || (key.String() == keyUser && args[0].Get("newValue").IsNull()) {
			ctx.Dispatch(p.signedOutElsewhere)
		}
		return nil
	})
	app.Window().Call("addEventListener", "storage", p.leave.storageFn)
}

// unwatchOtherTabs removes the storage event listener.
func (p *feedPage) unwatchOtherTabs() {
	if p.leave.storageFn != nil {
		app.Window().Call("removeEventListener", "storage", p.leave.storageFn)
		p.leave.storageFn.Release()
		p.leave.storageFn = nil
	}
}

func (p *feedPage) signedOutElsewhere(ctx app.Context) {
	if p.phase == phaseFeed {
		p.signedOut(ctx, signedOutElsewhereMsg)
	}
}

// focusID focuses the element with id, if it is on the page.
func focusID(id string) {
	if !app.IsClient {
		return
	}
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
}
