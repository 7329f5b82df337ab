package ui

import (
	"encoding/json"
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// localStore is the session's Store over the browser's localStorage. Keys
// are prefixed with the signed-in user's id, so that two people sharing a
// browser never send each other's outbox. Signing out removes them all
// (forget.go).
//
// localStorage rather than IndexedDB: the session reads its cache and outbox
// synchronously when it starts (so a reload paints the cached feed in the
// first frame, before any network), the data is small (a feed is capped at
// protocol.MaxSnapshotPosts posts) and each write is a whole JSON value.
// IndexedDB's asynchronous API would buy nothing here but a slower first
// paint.
type localStore struct {
	prefix string
}

var _ session.Store = localStore{}

func newLocalStore(userID string) localStore {
	return localStore{prefix: "livefeed:" + userID + ":"}
}

func storage() (v app.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("localStorage unavailable: %v", r)
		}
	}()
	v = app.Window().Get("localStorage")
	if v.IsNull() || v.IsUndefined() {
		return nil, fmt.Errorf("localStorage unavailable")
	}
	return v, nil
}

// Get implements session.Store.
func (s localStore) Get(key string) (val []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			val, ok = nil, false
		}
	}()
	ls, err := storage()
	if err != nil {
		return nil, false
	}
	v := ls.Call("getItem", s.prefix+key)
	if v.IsNull() || v.IsUndefined() {
		return nil, false
	}
	return []byte(v.String()), true
}

// Set implements session.Store. A full storage (QuotaExceededError) is an
// error.
func (s localStore) Set(key string, val []byte) error {
	return s.change("setItem", s.prefix+key, string(val))
}

// Delete implements session.Store.
func (s localStore) Delete(key string) error { return s.change("removeItem", s.prefix+key) }

// change calls the localStorage method that changes it; what the browser
// throws (syscall/js panics with it) is the error.
func (s localStore) change(method string, args ...any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("localStorage: %v", r)
		}
	}()
	ls, err := storage()
	if err != nil {
		return err
	}
	ls.Call(method, args...)
	return nil
}

// keyUser holds the signed-in user (JSON protocol.User), so that an offline
// start can open the cached feed without asking the server.
const keyUser = "livefeed:user"

func loadCachedUser() (protocol.User, bool) {
	var u protocol.User
	b, ok := localStore{}.Get(keyUser)
	if !ok || json.Unmarshal(b, &u) != nil || u.ID == "" {
		return protocol.User{}, false
	}
	return u, true
}

// saveCachedUser keeps the signed-in user. A sign-out the server had not
// heard of (forget.go) is over: the new sign-in replaced its cookie.
func saveCachedUser(u protocol.User) {
	if b, err := json.Marshal(u); err == nil {
		_ = localStore{}.Set(keyUser, b)
	}
	serverSignedOut()
}

func clearCachedUser() { _ = localStore{}.Delete(keyUser) }
