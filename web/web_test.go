package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestPrecompressedMatch checks that every committed X.gz and X.br is X
// compressed (a stale icon.svg.gz would be served to gzip clients), and,
// when the wasm is built, that app.wasm.br and app.wasm.gz hold the same
// app.
func TestPrecompressedMatch(t *testing.T) {
	decoders := map[string]func(io.Reader) (io.Reader, error){
		"*.gz": func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		"*.br": func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
	}
	decode := func(name string) []byte {
		b, err := fs.ReadFile(Files, name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := decoders["*"+name[len(name)-3:]](bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	for pattern := range decoders {
		names, _ := fs.Glob(Files, pattern)
		for _, name := range names {
			if name == WasmGz || name == WasmBr {
				continue
			}
			plain, err := fs.ReadFile(Files, name[:len(name)-3])
			if err != nil {
				t.Errorf("%s has no uncompressed original", name)
				continue
			}
			if !bytes.Equal(decode(name), plain) {
				t.Errorf("%s is stale: run `gzip -9 -n -k -f web/%[2]s` or `go run ./server/internal/cmd/brotli web/%[2]s`", name, name[:len(name)-3])
			}
		}
	}
	_, errBr := fs.Stat(Files, WasmBr)
	_, errGz := fs.Stat(Files, WasmGz)
	switch {
	case errBr == nil && errGz == nil:
		if !bytes.Equal(decode(WasmBr), decode(WasmGz)) {
			t.Errorf("%s and %s hold different apps: run make build", WasmBr, WasmGz)
		}
	case (errBr == nil) != (errGz == nil):
		t.Errorf("only one of %s and %s is built: run make build", WasmBr, WasmGz)
	}
	for _, want := range []string{"app.css", "icon.svg", "icon-192.png", "icon-512.png", "icon-maskable-512.png"} {
		if _, err := fs.Stat(Files, want); err != nil {
			t.Errorf("missing %s", want)
		}
	}
}
