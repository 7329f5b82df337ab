package node_test

import (
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestHeartbeatTiming: an idle connection keeps getting heartbeats (each
// read waits up to 5 intervals), and the test logs the silences between
// them, the figure docs/protocol.md gives (no bound on them is asserted:
// the machine may be busy).
func TestHeartbeatTiming(t *testing.T) {
	const interval = 500 * time.Millisecond
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.HeartbeatInterval = interval })
	token, _ := tn.SignIn(t, "Hal")
	c := testnode.Dial(t, tn, token)
	c.Send(protocol.Hello{Client: "test", Subs: []protocol.Sub{{Feed: "main", Mode: protocol.ModeLive}}})
	last := time.Now()
	var gaps []time.Duration
	for len(gaps) < 12 {
		m, err := c.Read(5 * interval)
		if err != nil {
			t.Fatalf("after %v of silence: %v", time.Since(last), err)
		}
		now := time.Now()
		if _, ok := m.(protocol.Heartbeat); ok {
			gaps = append(gaps, now.Sub(last))
		}
		last = now
	}
	lo, hi := gaps[1], gaps[1]
	for _, g := range gaps[1:] { // the first follows welcome's burst
		lo, hi = min(lo, g), max(hi, g)
	}
	t.Logf("interval %v: heartbeats after %v to %v of silence (%v)", interval, lo, hi, gaps)
}
