package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"livefeed/shared/protocol"
)

// TestGuestKeptAcrossRuns: two runs of "livefeed post --name Gus" with the
// same config directory are one person; another directory is another
// person; a kept session the server no longer accepts (another server's
// key) is replaced by a new sign-in. Before, every run was a new user.
func TestGuestKeptAcrossRuns(t *testing.T) {
	addr := freeAddr(t)
	srv := startServer(t, addr, t.TempDir())
	server := "http://" + addr
	author := func(out string) string {
		t.Helper()
		var ev protocol.Event
		if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Author.ID == "" {
			t.Fatalf("post printed %q: %v", out, err)
		}
		return ev.Author.ID
	}
	dir := t.TempDir()
	post := func(dir, text string) string {
		t.Helper()
		out, err := cliIn(t, dir, "post", "--server", server, "--feed", "guests", "--name", "Gus", text)
		if err != nil {
			t.Fatal(err)
		}
		return author(out)
	}
	first, second := post(dir, "one"), post(dir, "two")
	if first != second {
		t.Fatalf("two runs, two users: %s and %s", first, second)
	}
	if other := post(t.TempDir(), "three"); other == first {
		t.Fatal("another config directory is the same user")
	}
	fi, err := os.Stat(filepath.Join(dir, "guests.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("guests.json: %v, mode %v", err, fi.Mode())
	}

	// The same address, a server with another key (a new data directory):
	// the kept token gets 401, a new guest is signed in and kept.
	srv.Signal(syscall.SIGKILL)
	startServer(t, addr, t.TempDir())
	a, b := post(dir, "after the reset one"), post(dir, "after the reset two")
	if a != b || a == first {
		t.Fatalf("after the server's key changed: %s, %s (before: %s)", a, b, first)
	}
}
