package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMalformedEnvironmentIsAnError: a LIVEFEED_* number that does not
// parse stops serve with the variable's name, instead of running on the
// default the operator did not ask for.
func TestMalformedEnvironmentIsAnError(t *testing.T) {
	for _, c := range []struct{ key, val, want string }{
		{"LIVEFEED_POST_RATE", "fast", "LIVEFEED_POST_RATE=\"fast\" is not a number"},
		{"LIVEFEED_MAX_CONNS", "1e3", "LIVEFEED_MAX_CONNS=\"1e3\" is not a whole number"},
		{"LIVEFEED_HEARTBEAT", "10", "LIVEFEED_HEARTBEAT=\"10\" is not a duration"},
	} {
		t.Run(c.key, func(t *testing.T) {
			t.Setenv(c.key, c.val)
			var stderr bytes.Buffer
			err := serve(context.Background(), []string{"--data", t.TempDir(), "--addr", "127.0.0.1:0"}, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("serve with %s=%s: %v", c.key, c.val, err)
			}
		})
	}
}

func TestWellFormedEnvironmentIsTheDefault(t *testing.T) {
	t.Setenv("LIVEFEED_MAX_CONNS", "250")
	t.Setenv("LIVEFEED_HEARTBEAT", "7s")
	var e envNumbers
	if n := e.int("LIVEFEED_MAX_CONNS", 0); n != 250 {
		t.Errorf("int %d", n)
	}
	if d := e.duration("LIVEFEED_HEARTBEAT", 0); d.Seconds() != 7 {
		t.Errorf("duration %v", d)
	}
	if n := e.int("LIVEFEED_UNSET_FOR_THE_TEST", 5); n != 5 {
		t.Errorf("unset: %d", n)
	}
	if err := e.err(); err != nil {
		t.Fatal(err)
	}
}
