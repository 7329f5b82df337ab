//go:build !js

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// netHTTPImporters are the packages of the wasm build allowed to import
// net/http, and why. Importing it at all costs about 1.5 MB of the 8.2 MB
// app.wasm (its init and crypto/tls's, x509, the FIPS self-tests, math/big;
// measured with both below patched out, see docs/performance.md), so
// neither our packages nor a new dependency may add to the list. When both
// are gone, net/http leaves the build.
var netHTTPImporters = map[string]string{
	"github.com/maxence-charriere/go-app/v10/pkg/app": "http.go and resource.go (the server-side app.Handler) have no build constraint",
	"github.com/coder/websocket":                      "ws_js.go: Dial returns *http.Response, Accept takes a ResponseWriter",
}

// TestWasmNetHTTPImporters lists, with the go command, which packages of
// the js/wasm build import net/http.
func TestWasmNetHTTPImporters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	found := 0
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		first, _, _ := strings.Cut(pkg, "/")
		std := !strings.Contains(first, ".") && first != "livefeed"
		if std || !strings.Contains(" "+imports+" ", " net/http ") {
			continue
		}
		found++
		if _, ok := netHTTPImporters[pkg]; !ok {
			t.Errorf("%s imports net/http in the wasm build (use the browser's fetch, syscall/js, or a !js file)", pkg)
		}
	}
	if found == 0 {
		t.Log("net/http has left the wasm build: empty netHTTPImporters and update docs/performance.md")
	}
}
