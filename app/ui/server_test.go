//go:build !js

package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestRoutesPrerenderAnd404(t *testing.T) {
	h := NewHTTPHandler("test-1")
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/", 200},
		{"/f/main", 200},
		{"/f/team-1_x", 200},
		{"/f/Bad", 404},
		{"/f/", 404},
		{"/nope", 404},
		{"/web/app.css", 200},
		{"/web/icon-192.png", 200},
		{"/web/missing.png", 404},
		{"/web/../web.go", 404},
		{"/manifest.webmanifest", 200},
		{"/app-worker.js", 200},
		{"/robots.txt", 200},
	} {
		if w := get(t, h, tc.path); w.Code != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.path, w.Code, tc.code)
		}
	}
	page := get(t, h, "/f/team").Body.String()
	for _, want := range []string{"/web/app.css", "/web/icon.svg", "Livefeed"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestNoRemoteResources(t *testing.T) {
	h := NewHTTPHandler("test-1")
	for _, p := range []string{"/app-worker.js", "/manifest.webmanifest", "/"} {
		body := get(t, h, p).Body.String()
		if strings.Contains(body, "raw.githubusercontent.com") {
			t.Errorf("%s references a remote resource:\n%s", p, body)
		}
	}
	worker := get(t, h, "/app-worker.js").Body.String()
	for _, want := range []string{`"/web/app.wasm"`, `"/web/icon.svg"`, `"/web/app.css"`, `"/"`, `"app-" + "test-1"`, "waitUntil"} {
		if !strings.Contains(worker, want) {
			t.Errorf("worker lacks %s", want)
		}
	}
}

func TestWasmServedCompressed(t *testing.T) {
	raw := bytes.Repeat([]byte("\x00asm wasm bytes "), 1000)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	s := newStaticFiles(fstest.MapFS{"app.wasm.gz": {Data: gz.Bytes()}})

	w := get(t, s, "/web/app.wasm", "Accept-Encoding", "gzip, deflate, br")
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" ||
		w.Header().Get("Content-Type") != "application/wasm" ||
		w.Header().Get("Vary") != "Accept-Encoding" ||
		w.Header().Get(WasmContentLengthHeader) != "16000" ||
		w.Header().Get("Content-Length") != strconv.Itoa(gz.Len()) ||
		!bytes.Equal(w.Body.Bytes(), gz.Bytes()) {
		t.Fatalf("gzip: %d %v", w.Code, w.Header())
	}
	etag := w.Header().Get("ETag")
	if w2 := get(t, s, "/web/app.wasm", "Accept-Encoding", "gzip", "If-None-Match", etag); w2.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d", w2.Code)
	}

	w = get(t, s, "/web/app.wasm")
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "" || !bytes.Equal(w.Body.Bytes(), raw) ||
		w.Header().Get("Content-Length") != "16000" {
		t.Fatalf("identity: %d %v (%d bytes)", w.Code, w.Header(), w.Body.Len())
	}
	w = get(t, s, "/web/app.wasm", "Accept-Encoding", "gzip;q=0, br")
	if w.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got gzip")
	}

	empty := newStaticFiles(fstest.MapFS{})
	w = get(t, empty, "/web/app.wasm", "Accept-Encoding", "gzip")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make build") {
		t.Errorf("missing wasm: %d %q", w.Code, w.Body.String())
	}
	if b, _ := io.ReadAll(w.Body); len(b) != 0 {
		_ = b
	}
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"":                false,
		"gzip":            true,
		"br, gzip":        true,
		"GZIP;q=0.5":      true,
		"gzip;q=0":        false,
		"identity":        false,
		"*":               true,
		"deflate, br;q=1": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if v != "" {
			r.Header.Set("Accept-Encoding", v)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v", v, got)
		}
	}
}
