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

	"github.com/andybalholm/brotli"
)

// wasmFS is an FS laid out like the build's web/: app.wasm only as
// app.wasm.br and app.wasm.gz.
func wasmFS(t *testing.T) (fsys fstest.MapFS, raw, br, gz []byte) {
	t.Helper()
	raw = bytes.Repeat([]byte("\x00asm wasm bytes "), 1000)
	var b, g bytes.Buffer
	bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
	bw.Write(raw)
	bw.Close()
	zw, _ := gzip.NewWriterLevel(&g, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	return fstest.MapFS{"app.wasm.br": {Data: b.Bytes()}, "app.wasm.gz": {Data: g.Bytes()}}, raw, b.Bytes(), g.Bytes()
}

func do(t *testing.T, h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestWasmEncodings(t *testing.T) {
	fsys, raw, br, gz := wasmFS(t)
	s := newStaticFiles(fsys)
	body := map[string][]byte{"br": br, "gzip": gz, "": raw}
	etags := map[string]string{} // encoding -> ETag
	for _, tc := range []struct {
		accept string // "-": no header
		want   string // Content-Encoding, "" for identity
	}{
		{"gzip, deflate, br, zstd", "br"}, // Chromium
		{"br", "br"},
		{"gzip, deflate", "gzip"},
		{"gzip", "gzip"},
		{"*", "br"},
		{"br;q=0, *", "gzip"},
		{"gzip;q=0.9, br;q=0.5", "gzip"},
		{"gzip;q=0, br", "br"},
		{"br;q=0, gzip", "gzip"},
		{"-", ""},
		{"identity", ""},
		{"deflate", ""},
		{"br;q=0, gzip;q=0", ""},
		{"*;q=0", ""},
	} {
		hdr := []string{"Accept-Encoding", tc.accept}
		if tc.accept == "-" {
			hdr = nil
		}
		w := do(t, s, http.MethodGet, "/web/app.wasm", hdr...)
		h := w.Header()
		if w.Code != 200 || h.Get("Content-Encoding") != tc.want {
			t.Errorf("Accept-Encoding %q: %d, Content-Encoding %q, want %q", tc.accept, w.Code, h.Get("Content-Encoding"), tc.want)
			continue
		}
		if h.Get("Content-Type") != "application/wasm" || h.Get("Vary") != "Accept-Encoding" ||
			h.Get("Cache-Control") != "no-cache" || h.Get(WasmContentLengthHeader) != strconv.Itoa(len(raw)) {
			t.Errorf("Accept-Encoding %q: headers %v", tc.accept, h)
		}
		if !bytes.Equal(w.Body.Bytes(), body[tc.want]) || h.Get("Content-Length") != strconv.Itoa(len(body[tc.want])) {
			t.Errorf("Accept-Encoding %q: %d bytes (Content-Length %s), want the %q variant", tc.accept, w.Body.Len(), h.Get("Content-Length"), tc.want)
		}
		etag := h.Get("ETag")
		if prev, ok := etags[tc.want]; ok && prev != etag {
			t.Errorf("%q: ETag %s, earlier %s for the same encoding", tc.want, etag, prev)
		}
		etags[tc.want] = etag
	}
	if len(etags) != 3 || etags["br"] == etags["gzip"] || etags["br"] == etags[""] || etags["gzip"] == etags[""] {
		t.Fatalf("want three distinct ETags, got %v", etags)
	}
	dec, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
	if !bytes.Equal(dec, raw) {
		t.Fatal("the test's brotli variant does not decode")
	}
}

func TestWasmRevalidationAndHead(t *testing.T) {
	fsys, _, br, gz := wasmFS(t)
	s := newStaticFiles(fsys)
	accepts := map[string]string{"br": "gzip, deflate, br", "gzip": "gzip", "": "identity"}
	sizes := map[string]int{"br": len(br), "gzip": len(gz), "": 16000}
	for enc, accept := range accepts {
		etag := do(t, s, http.MethodGet, "/web/app.wasm", "Accept-Encoding", accept).Header().Get("ETag")
		for _, inm := range []string{etag, `"x", ` + etag, "W/" + etag, "*"} {
			w := do(t, s, http.MethodGet, "/web/app.wasm", "Accept-Encoding", accept, "If-None-Match", inm)
			if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag ||
				w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("%q, If-None-Match %s: %d %v", enc, inm, w.Code, w.Header())
			}
		}
		// Another encoding's ETag does not match this one.
		for other, accept2 := range accepts {
			if other == enc {
				continue
			}
			etag2 := do(t, s, http.MethodGet, "/web/app.wasm", "Accept-Encoding", accept2).Header().Get("ETag")
			if w := do(t, s, http.MethodGet, "/web/app.wasm", "Accept-Encoding", accept, "If-None-Match", etag2); w.Code != 200 {
				t.Errorf("%q with the ETag of %q: %d, want 200", enc, other, w.Code)
			}
		}
		w := do(t, s, http.MethodHead, "/web/app.wasm", "Accept-Encoding", accept)
		if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("ETag") != etag ||
			w.Header().Get("Content-Encoding") != enc || w.Header().Get("Content-Length") != strconv.Itoa(sizes[enc]) {
			t.Errorf("HEAD %q: %d, %d body bytes, %v", enc, w.Code, w.Body.Len(), w.Header())
		}
	}
	if w := do(t, s, http.MethodPost, "/web/app.wasm"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

// A file that is embedded as itself and precompressed (icon.svg) is served
// as itself to a client that accepts neither encoding; its variants are
// also reachable by name, as they are.
func TestStaticPlainWithVariants(t *testing.T) {
	fsys, _, br, gz := wasmFS(t)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)
	s := newStaticFiles(fstest.MapFS{"icon.svg": {Data: svg}, "icon.svg.br": fsys["app.wasm.br"], "icon.svg.gz": fsys["app.wasm.gz"]})
	w := do(t, s, http.MethodGet, "/web/icon.svg")
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), svg) || w.Header().Get("Content-Encoding") != "" ||
		w.Header().Get("Vary") != "Accept-Encoding" || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("identity: %d %v", w.Code, w.Header())
	}
	if w := do(t, s, http.MethodGet, "/web/icon.svg", "Accept-Encoding", "br"); !bytes.Equal(w.Body.Bytes(), br) {
		t.Errorf("br: %v", w.Header())
	}
	if w := do(t, s, http.MethodGet, "/web/icon.svg.gz", "Accept-Encoding", "br"); w.Header().Get("Content-Encoding") != "" || !bytes.Equal(w.Body.Bytes(), gz) {
		t.Errorf("icon.svg.gz by name: %v", w.Header())
	}
	if w := do(t, s, http.MethodGet, "/web/app.css", "Accept-Encoding", "br"); w.Code != http.StatusNotFound {
		t.Errorf("missing file: %d", w.Code)
	}
}

func TestWasmNotBuilt(t *testing.T) {
	w := do(t, newStaticFiles(fstest.MapFS{}), http.MethodGet, "/web/app.wasm", "Accept-Encoding", "gzip, br")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make build") ||
		w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("missing wasm: %d %q", w.Code, w.Body.String())
	}
}

func TestAcceptQ(t *testing.T) {
	for _, tc := range []struct {
		header, coding string
		want           float64
	}{
		{"", "gzip", 0},
		{"gzip", "gzip", 1},
		{"br, gzip", "gzip", 1},
		{"GZIP;q=0.5", "gzip", 0.5},
		{"gzip;Q=0.5", "gzip", 0.5},
		{"gzip ; q=0", "gzip", 0},
		{"gzip;level=1;q=0.3", "gzip", 0.3},
		{"gzip;q=nope", "gzip", 1},
		{"identity", "gzip", 0},
		{"*", "br", 1},
		{"*;q=0.2, br", "br", 1},
		{"br;q=0, *", "br", 0},
		{"deflate, br;q=1", "gzip", 0},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Accept-Encoding", tc.header)
		}
		if got := acceptQ(r, tc.coding); got != tc.want {
			t.Errorf("acceptQ(%q, %s) = %v, want %v", tc.header, tc.coding, got, tc.want)
		}
	}
}

// TestIdentityInflatesOnce: a client that accepts no encoding gets the wasm
// inflated from its gzip variant, inflated once and kept. After the first
// such response the gzip bytes are made corrupt: later identity requests
// must still be served (from the inflated copy), which they are not when
// each inflates again (before: 8 MB of work per request for the real app,
// for any client that sends Accept-Encoding: identity).
func TestIdentityInflatesOnce(t *testing.T) {
	raw := bytes.Repeat([]byte("\x00asm wasm bytes "), 64<<10) // 1 MiB
	var g bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&g, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	s := newStaticFiles(fstest.MapFS{"app.wasm.gz": {Data: g.Bytes()}})
	if w := do(t, s, http.MethodGet, "/web/app.wasm", "Accept-Encoding", "identity"); !bytes.Equal(w.Body.Bytes(), raw) {
		t.Fatalf("first identity response: %d bytes, want %d", w.Body.Len(), len(raw))
	}
	gz, _ := s.file("app.wasm.gz")
	for i := range gz.data {
		gz.data[i] = 0xff
	}
	for i := range 3 {
		w := do(t, s, http.MethodGet, "/web/app.wasm", "Accept-Encoding", "identity")
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), raw) {
			t.Fatalf("identity request %d after the first: %d, %d bytes: inflated again", i+2, w.Code, w.Body.Len())
		}
	}
}
