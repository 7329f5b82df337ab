package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"livefeed/shared/protocol"
)

// NewUserID returns a new random user id: "u" and 12 characters of
// base64url (72 random bits).
func NewUserID() (string, error) {
	var id [9]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(id[:]), nil
}

// Guest signs in a display name as a new guest (a user with no handle):
// it returns the user and the token of its session. A name that breaks
// protocol.CheckName's rules is refused with its *protocol.Error.
func (s *Sessions) Guest(ctx context.Context, name string) (protocol.User, string, error) {
	n, perr := protocol.CheckName(name)
	if perr != nil {
		return protocol.User{}, "", perr
	}
	id, err := NewUserID()
	if err != nil {
		return protocol.User{}, "", err
	}
	u := protocol.User{ID: id, Name: n}
	token, _, err := s.Create(ctx, u, KindGuest, "")
	if err != nil {
		return protocol.User{}, "", err
	}
	return u, token, nil
}
