package protocol

import (
	"strings"
	"testing"
)

// TestEpochAtEdge: a client's epoch (in a resume, in an action) is at most
// MaxEpochBytes; one byte more is a bad_field.
func TestEpochAtEdge(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
	}{
		{"sub", `{"type":"subscribe","data":{"feed":"main","mode":"resume","pos":3,"epoch":"%s"}}`},
		{"action", `{"type":"edit","data":{"op":"o1","feed":"main","id":"p1","text":"x","epoch":"%s"}}`},
	} {
		ok := strings.Replace(tc.msg, "%s", strings.Repeat("e", MaxEpochBytes), 1)
		if _, err := Decode([]byte(ok)); err != nil {
			t.Errorf("%s with an epoch of MaxEpochBytes: %v", tc.name, err)
		}
		over := strings.Replace(tc.msg, "%s", strings.Repeat("e", MaxEpochBytes+1), 1)
		_, err := Decode([]byte(over))
		if e, _ := AsError(err); e == nil || e.Code != CodeBadField {
			t.Errorf("%s with an epoch of MaxEpochBytes+1: %v, want bad_field", tc.name, err)
		}
	}
}
