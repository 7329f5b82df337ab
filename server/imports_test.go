// Package server_test holds tests of the server tree as a whole.
package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// appImporters are the server packages allowed to import livefeed/app/...,
// and why. The browser's code and the server's are kept apart: the server
// shares only shared/ with the app.
var appImporters = map[string]string{
	"livefeed/server/cmd/livefeed":      "the binary: mounts the app's handler for prerendering (app.go) and is the command-line client, built on the browser's session (client.go)",
	"livefeed/server/bench":             "the load generator of `livefeed bench` is a client: it signs in as the session does (session.SignIn), and its clients over HTTP are the session's transport (session.Dial)",
	"livefeed/server/internal/testnode": "the tests' protocol client speaks every transport, HTTP with the session's own (session.Dial), so the suites run over each",
}

// TestServerDoesNotImportApp lists, with the go command, which packages
// under server/ import livefeed/app/... (tests aside).
func TestServerDoesNotImportApp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "livefeed/server/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		for _, imp := range strings.Fields(imports) {
			if imp != "livefeed/app" && !strings.HasPrefix(imp, "livefeed/app/") {
				continue
			}
			if _, ok := appImporters[pkg]; !ok {
				t.Errorf("%s imports %s: the server shares only livefeed/shared/... with the app", pkg, imp)
			}
			seen[pkg] = true
		}
	}
	for pkg := range appImporters {
		if !seen[pkg] {
			t.Errorf("%s no longer imports the app: take it off appImporters", pkg)
		}
	}
}
