package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/nats-io/nats.go/jetstream"

	"livefeed/shared/protocol"
)

// Managing an account from one of its signed-in browsers: its passkeys
// (listed, removed but never the last), its display name, and deleting
// it. Deleting an account removes its record (its passkeys with it) and
// ends every session of its user, API tokens too; its posts stay, under
// the name and @handle they were written with, and nobody can edit or
// delete them any more. Its handle stays reserved (the index keys are
// kept), so no one else can later pass as the author of those posts.

// maxModifyTries bounds the retries of an account change that lost a race
// with another change (a sign-in's sign count, a code).
const maxModifyTries = 5

// PasskeyInfo describes one of an account's passkeys, never its key.
type PasskeyInfo struct {
	// ID is the credential id, base64url.
	ID string `json:"id"`
	// Added is when it was added (Unix ms; 0 for passkeys added before
	// this was kept).
	Added int64 `json:"added,omitempty"`
}

// credID is a credential id as PasskeyInfo and Account.Added name it.
func credID(c webauthn.Credential) string { return base64.RawURLEncoding.EncodeToString(c.ID) }

// Passkeys lists the account's passkeys, in the order they were added.
func (a *Account) Passkeys() []PasskeyInfo {
	out := make([]PasskeyInfo, 0, len(a.Credentials))
	for _, c := range a.Credentials {
		out = append(out, PasskeyInfo{ID: credID(c), Added: a.Added[credID(c)]})
	}
	return out
}

// addCredential adds c to the account, noting when.
func (a *Account) addCredential(c webauthn.Credential, at int64) {
	a.Credentials = append(a.Credentials, c)
	if a.Added == nil {
		a.Added = map[string]int64{}
	}
	a.Added[credID(c)] = at
}

// modify reads the account of userID, lets f change it and writes it back
// if nobody changed it meanwhile, reading it again otherwise (at most
// maxModifyTries times). An error of f is returned as is.
func (a *Accounts) modify(ctx context.Context, userID string, f func(*Account) error) (*Account, error) {
	for range maxModifyTries {
		acc, rev, err := a.Get(ctx, userID)
		if err != nil {
			return nil, err
		}
		if err := f(acc); err != nil {
			return nil, err
		}
		err = a.update(ctx, acc, rev)
		if err == nil {
			return acc, nil
		} else if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("auth: account %s changed %d times while being changed", userID, maxModifyTries)
}

// RemovePasskey removes the passkey id (PasskeyInfo.ID) from the account
// of userID. The last one is refused (CodeForbidden): an account without
// a passkey could never be signed in to again.
func (p *Passkeys) RemovePasskey(ctx context.Context, userID, id string) error {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 {
		return protocol.Errorf(protocol.CodeNotFound, "you have no passkey %q", id)
	}
	_, err = p.Accounts.modify(ctx, userID, func(acc *Account) error {
		i := -1
		for j, c := range acc.Credentials {
			if bytes.Equal(c.ID, raw) {
				i = j
			}
		}
		if i < 0 {
			return protocol.Errorf(protocol.CodeNotFound, "you have no passkey %q", id)
		}
		if len(acc.Credentials) == 1 {
			return protocol.Errorf(protocol.CodeForbidden, "this is your only passkey: add another device before you remove it")
		}
		acc.Credentials = append(acc.Credentials[:i:i], acc.Credentials[i+1:]...)
		delete(acc.Added, id)
		return nil
	})
	return err
}

// Rename changes the account's display name (protocol.CheckName's rules)
// and the user its sessions carry, so that what it posts from now on
// shows the new name; earlier posts keep the name they were written with.
// Connections open before keep the old name until they connect again.
func (p *Passkeys) Rename(ctx context.Context, userID, name string) (protocol.User, error) {
	n, perr := protocol.CheckName(name)
	if perr != nil {
		return protocol.User{}, perr
	}
	acc, err := p.Accounts.modify(ctx, userID, func(acc *Account) error {
		acc.User.Name = n
		return nil
	})
	if err != nil {
		return protocol.User{}, err
	}
	return acc.User, p.Sessions.rewriteUser(ctx, userID, func(rec *Session) bool {
		rec.User = acc.User
		return true
	})
}

// DeleteAccount deletes the account of userID if confirm is its handle,
// and ends every session of its user (browsers and API tokens, on every
// node); it returns how many it ended. See the top of this file for what
// stays.
func (p *Passkeys) DeleteAccount(ctx context.Context, userID, confirm string) (int, error) {
	acc, rev, err := p.Accounts.Get(ctx, userID)
	if err != nil {
		return 0, err
	}
	if h, perr := CheckHandle(confirm); perr != nil || !sameHandle(h, acc.User.Handle) {
		return 0, protocol.Errorf(protocol.CodeBadHandle, "to delete the account, confirm with its handle @%s", acc.User.Handle)
	}
	// The record first: from then on no passkey signs in to it and no
	// code adds one, so the sessions ended next are the last.
	if err := p.Accounts.kv.Delete(ctx, accountKey(userID), jetstream.LastRevision(rev)); err != nil {
		return 0, fmt.Errorf("auth: delete account: %w", err)
	}
	return p.Sessions.RevokeUser(ctx, userID, KindGuest, KindAccount, KindAPIToken)
}

// sameHandle reports whether two handles are one (they share a HandleKey).
func sameHandle(a, b string) bool {
	for _, x := range HandleKeys(a) {
		for _, y := range HandleKeys(b) {
			if x == y {
				return true
			}
		}
	}
	return false
}
