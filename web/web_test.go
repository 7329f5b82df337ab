package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"testing"
)

// TestPrecompressedMatch checks that every committed X.gz is X compressed
// (a stale icon.svg.gz would be served to gzip clients).
func TestPrecompressedMatch(t *testing.T) {
	names, _ := fs.Glob(Files, "*.gz")
	for _, gz := range names {
		if gz == WasmGz {
			continue
		}
		plain, err := fs.ReadFile(Files, gz[:len(gz)-3])
		if err != nil {
			t.Errorf("%s has no uncompressed original", gz)
			continue
		}
		b, _ := fs.ReadFile(Files, gz)
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, plain) {
			t.Errorf("%s is stale: run gzip -9 -n -k -f web/%s", gz, gz[:len(gz)-3])
		}
	}
	for _, want := range []string{"app.css", "icon.svg", "icon-192.png", "icon-512.png", "icon-maskable-512.png"} {
		if _, err := fs.Stat(Files, want); err != nil {
			t.Errorf("missing %s", want)
		}
	}
}
