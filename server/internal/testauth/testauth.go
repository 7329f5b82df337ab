// Package testauth gives tests a session store (auth.Sessions) on an
// embedded NATS server of their own, in a temporary directory, with no
// network listener.
package testauth

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/nats-io/nats.go"

	"livefeed/server/auth"
	"livefeed/server/eventlog"
)

// Sessions returns a session store on a fresh embedded NATS server and the
// connection to it, both closed when the test ends.
func Sessions(tb testing.TB) (*auth.Sessions, *nats.Conn) {
	tb.Helper()
	ns, nc, err := eventlog.StartEmbedded(eventlog.EmbeddedConfig{Dir: tb.TempDir(), Sync: eventlog.SyncPeriodic}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eventlog.Shutdown(ns, nc) })
	kv, err := eventlog.OpenKV(context.Background(), nc, eventlog.KVConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	signer, err := auth.NewSigner(key)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := auth.OpenSessions(context.Background(), kv, signer, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s, nc
}
