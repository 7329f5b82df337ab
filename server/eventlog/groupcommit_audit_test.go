package eventlog

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestGroupCommitAuditedServer: group commit rests on how nats-server's
// file store writes its blocks (see groupcommit.go), read in one version.
// A dependency bump must come with a new reading of filestore.go and
// stream.go, then a new auditedNATSServer.
func TestGroupCommitAuditedServer(t *testing.T) {
	// A test binary's build info lists no modules: read go.mod, which is
	// what builds the server.
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/nats-io/nats-server/v2" {
			got = f[1]
		}
	}
	if got != auditedNATSServer {
		t.Fatalf("go.mod has nats-server %q; group commit was audited against %s: re-read server/filestore.go and server/stream.go "+
			"(what groupcommit.go's header relies on), then update auditedNATSServer", got, auditedNATSServer)
	}
	if strings.Contains(string(mod), "nats-server/v2 =>") {
		t.Fatal("go.mod replaces nats-server: audit the replacement")
	}
}

// TestGroupCommitSyncsTheFilesHoldingAcks: when an append is acknowledged,
// the syncer has fsynced, since the append began, a file that holds the
// record's bytes. (It checks the reading of nats-server's layout that the
// file paths rest on: were the records elsewhere, nothing synced would
// hold them.)
func TestGroupCommitSyncsTheFilesHoldingAcks(t *testing.T) {
	l := openGroupLog(t)
	ctx := t.Context()
	var mu sync.Mutex
	var synced []string
	real := l.gc.syncFile
	l.gc.syncFile = func(f *os.File) error {
		mu.Lock()
		synced = append(synced, f.Name())
		mu.Unlock()
		return real(f)
	}
	for i := range 50 {
		payload := []byte(fmt.Sprintf("acknowledged record %03d %x", i, i*7919))
		mu.Lock()
		from := len(synced)
		mu.Unlock()
		if _, _, err := l.Append(ctx, "a", payload, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		since := append([]string(nil), synced[from:]...)
		mu.Unlock()
		found := false
		for _, name := range since {
			b, err := os.ReadFile(name)
			if err == nil && bytes.Contains(b, payload) {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("record %d acknowledged, but none of the %d files fsynced since it began holds it: %v", i, len(since), since)
		}
	}
}
