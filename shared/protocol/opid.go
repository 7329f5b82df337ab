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
func ValidOpID(op string) bool {
	if len(op) == 0 || len(op) > MaxOpIDBytes {
		return false
	}
	for i := 0; i < len(op); i++ {
		c := op[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
