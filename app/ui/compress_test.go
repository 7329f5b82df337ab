//go:build !js

package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

// decode returns body decoded from coding ("" for identity).
func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	switch coding {
	case "br":
		r = brotli.NewReader(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "":
	default:
		t.Fatalf("unexpected Content-Encoding %q", coding)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	return b
}

// TestTextFilesCompressedOnce: a text file with no precompressed variants
// (app.css) is sent brotli- or gzip-encoded by Accept-Encoding, each
// variant made once however many requests there are; below
// compressMinBytes, or when compressing does not make it smaller, or for an
// image, it is sent as it is.
func TestTextFilesCompressedOnce(t *testing.T) {
	css := []byte(strings.Repeat(".post { color: var(--text); margin: 0 auto; }\n", 100))
	noise := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	small := bytes.Repeat([]byte("a"), compressMinBytes-1)
	s := newStaticFiles(fstest.MapFS{
		"app.css":    {Data: css},
		"small.txt":  {Data: small},
		"edge.txt":   {Data: bytes.Repeat([]byte("a"), compressMinBytes)},
		"noise.txt":  {Data: noise},
		"image.png":  {Data: bytes.Repeat([]byte("png "), 1000)},
		"robots.txt": {Data: []byte("User-agent: *\nAllow: /\n")},
	})
	etags := map[string]string{}
	for range 3 {
		for _, tc := range []struct{ accept, want string }{
			{"gzip, deflate, br, zstd", "br"},
			{"gzip", "gzip"},
			{"identity", ""},
			{"-", ""},
		} {
			hdr := []string{"Accept-Encoding", tc.accept}
			if tc.accept == "-" {
				hdr = nil
			}
			w := do(t, s, http.MethodGet, "/web/app.css", hdr...)
			h := w.Header()
			if w.Code != 200 || h.Get("Content-Encoding") != tc.want || h.Get("Vary") != "Accept-Encoding" ||
				h.Get("Content-Type") != "text/css; charset=utf-8" || h.Get("Cache-Control") != "no-cache" ||
				h.Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
				t.Fatalf("Accept-Encoding %q: %d %v", tc.accept, w.Code, h)
			}
			if !bytes.Equal(decode(t, tc.want, w.Body.Bytes()), css) {
				t.Fatalf("Accept-Encoding %q: the body is not app.css", tc.accept)
			}
			if tc.want != "" && w.Body.Len() >= len(css) {
				t.Errorf("%s: %d bytes for %d", tc.want, w.Body.Len(), len(css))
			}
			if prev, ok := etags[tc.want]; ok && prev != h.Get("ETag") {
				t.Errorf("%q: ETag %s, earlier %s", tc.want, h.Get("ETag"), prev)
			}
			etags[tc.want] = h.Get("ETag")
			if w := do(t, s, http.MethodGet, "/web/app.css", "Accept-Encoding", tc.accept, "If-None-Match", h.Get("ETag")); w.Code != http.StatusNotModified {
				t.Errorf("If-None-Match %s: %d", h.Get("ETag"), w.Code)
			}
		}
	}
	if len(etags) != 3 || etags["br"] == etags["gzip"] || etags[""] == etags["br"] || etags[""] == etags["gzip"] {
		t.Errorf("want three distinct ETags, got %v", etags)
	}
	if n := s.compressions.Load(); n != 2 {
		t.Errorf("app.css compressed %d times over 24 requests, want 2 (once per encoding)", n)
	}

	for _, name := range []string{"small.txt", "noise.txt", "image.png", "robots.txt"} {
		w := do(t, s, http.MethodGet, "/web/"+name, "Accept-Encoding", "gzip, br")
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "" || w.Header().Get("Vary") != "" {
			t.Errorf("%s: %d %v, want it as it is", name, w.Code, w.Header())
		}
	}
	if w := do(t, s, http.MethodGet, "/web/edge.txt", "Accept-Encoding", "gzip"); w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("a file of compressMinBytes (%d) is not compressed: %v", compressMinBytes, w.Header())
	}
	if w := do(t, s, http.MethodGet, "/web/app.css.br"); w.Code != http.StatusNotFound {
		t.Errorf("a variant made here is not a file of its own: GET app.css.br: %d", w.Code)
	}
}

// TestCompressedOnceConcurrently: requests that arrive together for a file
// not yet compressed wait for one compression per encoding (run with -race).
func TestCompressedOnceConcurrently(t *testing.T) {
	css := []byte(strings.Repeat(".card { border-radius: var(--radius); }\n", 200))
	s := newStaticFiles(fstest.MapFS{"app.css": {Data: css}, "other.css": {Data: css}})
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	for i := range 32 {
		wg.Go(func() {
			name, accept := "/web/app.css", "br"
			if i%2 == 1 {
				name, accept = "/web/other.css", "gzip"
			}
			w := do(t, s, http.MethodGet, name, "Accept-Encoding", accept)
			if got := w.Header().Get("Content-Encoding"); w.Code != 200 || got != accept {
				errs <- name + ": " + got
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Each file compressed in both encodings (a request looks at every
	// variant), once each.
	if n := s.compressions.Load(); n != 4 {
		t.Errorf("%d compressions for 32 concurrent requests of two files, want 4", n)
	}
}
