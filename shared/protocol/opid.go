package protocol

import (
	"crypto/rand"
	"encoding/base64"
)

// NewOpID returns a fresh random op id: 16 random bytes, 22 characters of
// base64url. Clients give every action one; the server applies an op id
// once (see DedupeWindow on the server).
func NewOpID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidOpID reports whether op is a well-formed op id.
func ValidOpID(op string) bool { return urlSafe(op, MaxOpIDBytes) }

// MaxUserIDBytes is the longest user id (the server makes them of 13).
const MaxUserIDBytes = 32

// ValidUserID reports whether id has the form of a user id: 1 to
// MaxUserIDBytes characters of [A-Za-z0-9_-] (safe in a key-value key).
func ValidUserID(id string) bool { return urlSafe(id, MaxUserIDBytes) }

// urlSafe reports whether s is 1 to max bytes of [A-Za-z0-9_-].
func urlSafe(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
