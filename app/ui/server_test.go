//go:build !js

package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodGet, path, hdr...)
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
