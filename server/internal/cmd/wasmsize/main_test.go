package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestPkgOf(t *testing.T) {
	for name, want := range map[string]string{
		"livefeed_app_ui.__feedPage_.Render":                                     "livefeed_app_ui",
		"github.com_maxence_charriere_go_app_v10_pkg_app.nodeManager.updateHTML": "github.com_maxence_charriere_go_app_v10_pkg_app",
		"vendor_golang.org_x_net_idna.ToASCII":                                   "vendor_golang.org_x_net_idna",
		"runtime.mallocgc":                                                       "runtime",
		"crypto_internal_fips140_ecdsa.init.func6.1":                             "crypto_internal_fips140_ecdsa",
		"_rt0_wasm_js": "_rt0_wasm_js",
		"":             "(unnamed)",
	} {
		if got := pkgOf(name); got != want {
			t.Errorf("pkgOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestParseGoWasm builds a small program for js/wasm and checks that its
// functions are named and their sizes add up to the code section.
func TestParseGoWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a wasm binary")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hi.wasm")
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	sum, named := 0, map[string]bool{}
	for _, f := range m.funcs {
		sum += f.size
		named[f.name] = true
	}
	if !named["main.main"] || !named["runtime.mallocgc"] {
		t.Errorf("main.main or runtime.mallocgc not found among %d functions", len(m.funcs))
	}
	// The code section is a count, then each body's size and bytes.
	if code := m.sections["code"]; sum >= code || sum < code*9/10 {
		t.Errorf("function bodies %d bytes, code section %d", sum, code)
	}
	if _, err := parse(b[:len(b)/2]); err == nil {
		t.Error("a truncated binary parsed")
	}
}
