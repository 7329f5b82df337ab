package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsStayOffTheCommandLine: the session key is refused on the
// command line (ps and /proc show it to every user) and read from a file;
// pprof refuses any address but loopback.
func TestSecretsStayOffTheCommandLine(t *testing.T) {
	ctx := context.Background()
	err := serve(ctx, []string{"--session-key", strings.Repeat("ab", 32), "--data", t.TempDir()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--session-key-file") {
		t.Fatalf("--session-key on the command line: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(bad, []byte("abcd\n"), 0o600)
	if err := serve(ctx, []string{"--session-key-file", bad, "--data", t.TempDir()}, io.Discard); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("a short key file: %v", err)
	}
	if err := serve(ctx, []string{"--session-key-file", filepath.Join(t.TempDir(), "missing"), "--data", t.TempDir()}, io.Discard); err == nil {
		t.Fatal("a missing key file was accepted")
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060"} {
		if err := startPprof(addr, nil); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Fatalf("--pprof %s: %v", addr, err)
		}
	}
}
