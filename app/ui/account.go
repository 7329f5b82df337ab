package ui

import (
	"encoding/json"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

// Accounts from the page: create one (a handle, the display name and a
// new passkey; a signed-in guest keeps their user id and posts), sign in
// with a passkey, add this device to an account with a one-time code
// made on a signed-in one, make such a code, sign out everywhere. The
// server side is docs/protocol.md, "Accounts and passkeys". These are
// feedPage methods kept out of feed-page.go.

// What the account's requests say when they fail before the server
// answers, or answer nonsense.
const (
	cantReachMsg        = "Can't reach Livefeed right now. Check your connection and try again."
	unexpectedAnswerMsg = "The server sent an unexpected answer. Please try again."
)

// ceremonyReply is a begin's answer.
type ceremonyReply struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

// passkeyCeremony runs begin (with body), the browser's create or get, and
// finish; it returns the signed-in user or a message for the person. It
// blocks: call it from ctx.Async.
func passkeyCeremony(begin, finish string, body any, create bool) (protocol.User, string) {
	res, err := fetchAPI(methodPost, begin, body)
	if err != nil {
		return protocol.User{}, cantReachMsg
	}
	var c ceremonyReply
	if res.Status != statusOK {
		return protocol.User{}, apiErrorText(res)
	}
	if json.Unmarshal(res.Body, &c) != nil || c.Ceremony == "" {
		return protocol.User{}, unexpectedAnswerMsg
	}
	var cred json.RawMessage
	if create {
		cred, err = passkeyCreate(c.Options)
	} else {
		cred, err = passkeyGet(c.Options)
	}
	if err != nil {
		return protocol.User{}, passkeyErrorText(err)
	}
	res, err = fetchAPI(methodPost, finish+"?ceremony="+c.Ceremony, cred)
	if err != nil {
		return protocol.User{}, cantReachMsg
	}
	if res.Status != statusOK {
		return protocol.User{}, apiErrorText(res)
	}
	u, ok := decodeUser(res.Body)
	if !ok {
		return protocol.User{}, unexpectedAnswerMsg
	}
	return u, ""
}

// accountCeremony runs a ceremony from the page and signs in as its user
// (restarting the session when the user id stays: a guest who made an
// account, so the connection carries the handle).
func (p *feedPage) accountCeremony(ctx app.Context, begin, finish string, body any, create bool) {
	if p.joining {
		return
	}
	p.joining, p.joinErr, p.accountErr = true, "", ""
	ctx.Async(func() {
		u, msg := passkeyCeremony(begin, finish, body, create)
		ctx.Dispatch(func(ctx app.Context) {
			p.joining = false
			if msg != "" {
				if p.phase == phaseFeed {
					p.accountErr = msg
				} else {
					p.joinErr = msg
				}
				return
			}
			saveCachedUser(u)
			if p.phase == phaseFeed && u.ID == p.user.ID {
				cl.restart(u, p.feed)
			}
			p.startSession(ctx, u)
		})
	})
}

// createAccount makes an account with handle and name (signed in as a
// guest: that guest becomes it).
func (p *feedPage) createAccount(ctx app.Context, handle, name string) {
	p.accountCeremony(ctx, "/api/account/sign-up/begin", "/api/account/sign-up/finish",
		map[string]string{"handle": handle, "name": name}, true)
}

// signInWithPasskey signs in with any passkey of this site.
func (p *feedPage) signInWithPasskey(ctx app.Context) {
	p.accountCeremony(ctx, "/api/account/sign-in/begin", "/api/account/sign-in/finish", nil, false)
}

// addThisDevice adds a passkey on this device to the account of handle,
// with the one-time code shown on a signed-in device.
func (p *feedPage) addThisDevice(ctx app.Context, handle, code string) {
	p.accountCeremony(ctx, "/api/account/passkeys/begin", "/api/account/passkeys/finish",
		map[string]string{"handle": handle, "code": code}, true)
}

// makeDeviceCode asks for a one-time code for another device.
func (p *feedPage) makeDeviceCode(ctx app.Context) {
	p.accountErr = ""
	ctx.Async(func() {
		res, err := fetchAPI(methodPost, "/api/account/passkeys/code", nil)
		ctx.Dispatch(func(ctx app.Context) {
			var v struct {
				Code    string `json:"code"`
				Expires int64  `json:"expires"`
			}
			switch {
			case err != nil:
				p.accountErr = cantReachMsg
			case res.Status != statusOK || json.Unmarshal(res.Body, &v) != nil:
				p.accountErr = apiErrorText(res)
			default:
				p.deviceCode = v.Code
				p.deviceCodeUntil = time.UnixMilli(v.Expires)
			}
		})
	})
}

// signOutEverywhere ends every browser session of this account (or
// guest), this one too.
func (p *feedPage) signOutEverywhere(ctx app.Context) {
	ctx.Async(func() {
		res, err := fetchAPI(methodDelete, "/api/sessions", nil)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil || res.Status != statusOK {
				p.accountErr = "Could not sign out everywhere. Check your connection and try again."
				return
			}
			p.signedOut(ctx, "You were signed out on every device.")
		})
	})
}

// renamed takes the account's new display name (account-settings.go): the
// session starts again, so that the connection carries it.
func (p *feedPage) renamed(ctx app.Context, u protocol.User) {
	if p.phase != phaseFeed || u.ID != p.user.ID {
		return
	}
	saveCachedUser(u)
	cl.restart(u, p.feed)
	p.startSession(ctx, u)
}

// deleteAccount deletes the account, confirmed with its handle, and signs
// out. On the page's own context: the server's signed_out (the socket's
// session ended with the account) may sign the page out, and unmount the
// panel that asked, before the answer is in; the sign-in page then says
// why.
func (p *feedPage) deleteAccount(ctx app.Context, confirm string) {
	p.accountErr = ""
	pc := p.ctx
	pc.Async(func() {
		res, err := fetchAPI(methodDelete, "/api/account", map[string]string{"confirm": confirm})
		pc.Dispatch(func(ctx app.Context) {
			switch {
			case err != nil:
				p.accountErr = cantReachMsg
			case res.Status != statusOK:
				p.accountErr = apiErrorText(res)
			case p.phase == phaseFeed:
				p.signedOut(ctx, accountDeletedMsg)
			default:
				p.joinErr = accountDeletedMsg
			}
		})
	})
}

// accountDeletedMsg is what the sign-in page says after the account was
// deleted.
const accountDeletedMsg = "Your account was deleted. Its posts stay, under the name they show."

// restart runs a new session for u (same storage: the outbox stays), so
// that the connection is made again with the current cookie.
func (c *client) restart(u protocol.User, feed string) {
	c.mu.Lock()
	c.stopLocked()
	c.mu.Unlock()
	c.start(u, feed)
}
