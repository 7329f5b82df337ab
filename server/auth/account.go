package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/nats-io/nats.go/jetstream"

	"livefeed/shared/protocol"
)

// MaxPasskeysPerAccount: the passkeys (devices, password managers) one
// account may hold; adding one more is refused.
const MaxPasskeysPerAccount = 10

// ErrNoAccount: no account has that user id or handle.
var ErrNoAccount = errors.New("auth: no such account")

// Account is an account record, stored under "a.<user id>"; each of its
// handle's index keys ("h.<hash>", handle.go) holds the user id, which
// makes the handle unique: the index keys are created (never overwritten)
// before the record.
type Account struct {
	User protocol.User `json:"user"`
	// Created is Unix milliseconds.
	Created     int64                 `json:"created"`
	Credentials []webauthn.Credential `json:"credentials"`
	// Added is when each passkey was added (Unix ms), by credential id
	// (base64url; manage.go).
	Added map[string]int64 `json:"added,omitempty"`
	// Code is the one-time code that lets another device add a passkey
	// (passkey.go), while there is one.
	Code *addCode `json:"code,omitempty"`
}

// The account is the WebAuthn user: its user handle is the user id.
func (a *Account) WebAuthnID() []byte                         { return []byte(a.User.ID) }
func (a *Account) WebAuthnName() string                       { return a.User.Handle }
func (a *Account) WebAuthnDisplayName() string                { return a.User.Name }
func (a *Account) WebAuthnCredentials() []webauthn.Credential { return a.Credentials }

// Accounts are the account records in the bucket. Safe for concurrent use.
type Accounts struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// NewAccounts returns the accounts stored in kv.
func NewAccounts(kv jetstream.KeyValue) *Accounts { return &Accounts{kv: kv, now: time.Now} }

func accountKey(userID string) string { return "a." + userID }

// Get returns the account of userID and the record's revision.
func (a *Accounts) Get(ctx context.Context, userID string) (*Account, uint64, error) {
	if !protocol.ValidUserID(userID) {
		return nil, 0, ErrNoAccount
	}
	e, err := a.kv.Get(ctx, accountKey(userID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, ErrNoAccount
	} else if err != nil {
		return nil, 0, fmt.Errorf("auth: read account: %w", err)
	}
	var acc Account
	if err := json.Unmarshal(e.Value(), &acc); err != nil {
		return nil, 0, fmt.Errorf("auth: account %s: %w", userID, err)
	}
	return &acc, e.Revision(), nil
}

// ByHandle returns the account whose handle is handle or looks like it.
func (a *Accounts) ByHandle(ctx context.Context, handle string) (*Account, uint64, error) {
	h, perr := CheckHandle(handle)
	if perr != nil {
		return nil, 0, ErrNoAccount
	}
	for _, k := range handleIndexKeys(h) {
		e, err := a.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		} else if err != nil {
			return nil, 0, fmt.Errorf("auth: read handle: %w", err)
		}
		return a.Get(ctx, string(e.Value()))
	}
	return nil, 0, ErrNoAccount
}

// HandleFree reports whether no account holds handle or one like it, nor
// ever did: a deleted account's handle stays reserved (manage.go).
func (a *Accounts) HandleFree(ctx context.Context, handle string) (bool, error) {
	h, perr := CheckHandle(handle)
	if perr != nil {
		return false, perr
	}
	for _, k := range handleIndexKeys(h) {
		_, err := a.kv.Get(ctx, k)
		if err == nil {
			return false, nil
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return false, fmt.Errorf("auth: read handle: %w", err)
		}
	}
	return true, nil
}

// create stores a new account: it reserves the handle's index keys (a
// *protocol.Error protocol.CodeHandleTaken if any is held, the ones it made undone),
// then the record (an error if the user id has an account already).
func (a *Accounts) create(ctx context.Context, acc *Account) error {
	var made []string
	undo := func() {
		// Not on ctx: a request that went away must not leave the
		// handle reserved for an account that was never made.
		uctx, cancel := context.WithTimeout(context.Background(), sessionOpTimeout)
		defer cancel()
		for _, k := range made {
			a.kv.Delete(uctx, k)
		}
	}
	for _, k := range handleIndexKeys(acc.User.Handle) {
		if _, err := a.kv.Create(ctx, k, []byte(acc.User.ID)); err != nil {
			undo()
			if errors.Is(err, jetstream.ErrKeyExists) {
				return protocol.Errorf(protocol.CodeHandleTaken, "the handle @%s (or one that looks like it) is taken", acc.User.Handle)
			}
			return fmt.Errorf("auth: reserve handle: %w", err)
		}
		made = append(made, k)
	}
	acc.Created = a.now().UnixMilli()
	b, _ := json.Marshal(acc)
	if _, err := a.kv.Create(ctx, accountKey(acc.User.ID), b); err != nil {
		undo()
		if errors.Is(err, jetstream.ErrKeyExists) {
			return protocol.Errorf(protocol.CodeForbidden, "this user already has an account")
		}
		return fmt.Errorf("auth: store account: %w", err)
	}
	return nil
}

// update rewrites an account read at revision rev (an error if it changed
// since: the caller reads it again).
func (a *Accounts) update(ctx context.Context, acc *Account, rev uint64) error {
	b, _ := json.Marshal(acc)
	if _, err := a.kv.Update(ctx, accountKey(acc.User.ID), b, rev); err != nil {
		return fmt.Errorf("auth: update account: %w", err)
	}
	return nil
}
