package ui

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// What signing out leaves in the browser's localStorage: nothing of the
// person. Every key Livefeed writes starts with keyNamespace (the cached
// sign-in, keyUser; each user's cached feeds and outbox, under
// "livefeed:<user id>:", see localStore), and forget removes all of them,
// of every user: after a sign-out nobody is signed in in this browser (the
// session cookie is shared by its tabs), and since each sign-in is a new
// user id, what an earlier sign-in left could never be sent or shown again.
//
// One key survives by design, and holds nothing of the person:
// keySignOutPending, "the server has not heard of this sign-out yet". The
// session cookie is HttpOnly, so only the server can end it
// (DELETE /api/session); when that request fails (offline), the next start
// sends it again before asking who is signed in (whoAmI), instead of
// signing the person in again with the old cookie.
const (
	keyNamespace      = "livefeed:"
	keySignOutPending = "livefeed:sign-out-pending"
)

// keyStorage is the part of the Web Storage API forget needs (a map in
// tests).
type keyStorage interface {
	keys() []string
	remove(key string)
}

// forget removes every key of Livefeed from st, except keySignOutPending.
func forget(st keyStorage) {
	for _, k := range st.keys() {
		if strings.HasPrefix(k, keyNamespace) && k != keySignOutPending {
			st.remove(k)
		}
	}
}

// forgetAll removes what Livefeed keeps in this browser's localStorage
// (forget). Call it after the session is closed (session.Close), so that
// nothing writes its keys again.
func forgetAll() {
	if !app.IsClient {
		return
	}
	forget(webKeys{})
}

// webKeys is the browser's localStorage as a keyStorage. A storage that
// cannot be read (disabled, private mode) holds nothing.
type webKeys struct{}

func (webKeys) keys() (out []string) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	ls, err := storage()
	if err != nil {
		return nil
	}
	n := ls.Get("length").Int()
	for i := 0; i < n; i++ {
		if k := ls.Call("key", i); k.Type() == app.TypeString {
			out = append(out, k.String())
		}
	}
	return out
}

func (webKeys) remove(key string) {
	defer func() { _ = recover() }()
	if ls, err := storage(); err == nil {
		ls.Call("removeItem", key)
	}
}

// SignOutPendingCookie is keySignOutPending as a cookie, for the server:
// a page request that has it is prerendered for no one (prerender.go),
// not for the reader of the session cookie the server has not been told
// to end yet, whose name and posts must not be on the screen of whoever
// uses the device next (docs/operations.md, "The first paint").
const SignOutPendingCookie = "livefeed_sign_out_pending"

// signOutPendingMaxAge is how long the cookie lasts: at least as long as
// the session cookie it stands against (auth.SessionMaxLifetime, 365
// days), within the browsers' cap of 400 days.
const signOutPendingMaxAge = 400 * 24 * 60 * 60 // seconds, browsers' cap

// markSignOutPending notes that the server must still hear of a sign-out;
// serverSignedOut removes the note once it has.
func markSignOutPending() {
	_ = localStore{}.Set(keySignOutPending, []byte("1"))
	setSignOutPendingCookie(signOutPendingMaxAge)
}

func serverSignedOut() {
	_ = localStore{}.Delete(keySignOutPending)
	setSignOutPendingCookie(-1)
}

// setSignOutPendingCookie sets SignOutPendingCookie for maxAge seconds, or
// removes it (maxAge < 0).
func setSignOutPendingCookie(maxAge int) {
	if !app.IsClient {
		return
	}
	c := SignOutPendingCookie + "=1; Path=/; SameSite=Strict; Max-Age=" + itoa(maxAge)
	if app.Window().Get("location").Get("protocol").String() == "https:" {
		c += "; Secure"
	}
	app.Window().Get("document").Set("cookie", c)
}

func signOutPending() bool {
	_, ok := localStore{}.Get(keySignOutPending)
	return ok
}
