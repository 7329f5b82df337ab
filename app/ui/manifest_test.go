//go:build !js

package ui

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

type testManifest struct {
	ID    *string          `json:"id"`
	Icons []map[string]any `json:"icons"`
}

func parseManifest(t *testing.T, body []byte) (testManifest, map[string]any) {
	t.Helper()
	var m testManifest
	var all map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("manifest: %v\n%s", err, body)
	}
	json.Unmarshal(body, &all)
	return m, all
}

// TestManifestIDAndPurposes: /manifest.webmanifest (and go-app's alias
// /manifest.json) has an id and a purpose for every icon: "maskable" for
// /web/icon-maskable-512.png, "any" for the others. go-app v10.1.11's
// manifest has no id and an empty purpose on all but the maskable icon (the
// test fails on it).
func TestManifestIDAndPurposes(t *testing.T) {
	h := NewHTTPHandler("test-1")
	for _, p := range []string{"/manifest.webmanifest", "/manifest.json"} {
		w := get(t, h, p, "Accept-Encoding", "identity")
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/manifest+json" {
			t.Fatalf("GET %s: %d %v", p, w.Code, w.Header())
		}
		m, _ := parseManifest(t, w.Body.Bytes())
		if m.ID == nil || *m.ID != "/" {
			t.Errorf("%s: id %v, want \"/\"", p, m.ID)
		}
		want := map[string]string{
			"/web/icon-maskable-512.png": "maskable",
			"/web/icon.svg":              "any",
			"/web/icon-512.png":          "any",
			"/web/icon-192.png":          "any",
		}
		got := map[string]string{}
		for _, ic := range m.Icons {
			src, _ := ic["src"].(string)
			purpose, _ := ic["purpose"].(string)
			got[src] = purpose
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: icon purposes %v, want %v", p, got, want)
		}
	}
}

// TestManifestOtherwiseGoApps: apart from the id and the purposes, the
// manifest is the one go-app generates from the same Handler, and every
// icon it names is served from here and precached by the service worker.
func TestManifestOtherwiseGoApps(t *testing.T) {
	ours := get(t, NewHTTPHandler("test-1"), "/manifest.webmanifest").Body.Bytes()
	theirs := get(t, Handler("test-1"), "/manifest.webmanifest").Body.Bytes()
	_, a := parseManifest(t, ours)
	_, b := parseManifest(t, theirs)
	delete(a, "id")
	for _, m := range []map[string]any{a, b} {
		for _, ic := range m["icons"].([]any) {
			delete(ic.(map[string]any), "purpose")
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("manifest differs from go-app's beyond id and purposes:\nours   %s\ngo-app %s", ours, theirs)
	}

	h := NewHTTPHandler("test-1")
	worker := get(t, h, "/app-worker.js").Body.String()
	if !strings.Contains(worker, `"/manifest.webmanifest"`) {
		t.Error("the worker does not precache the manifest")
	}
	m, _ := parseManifest(t, ours)
	for _, ic := range m.Icons {
		src := ic["src"].(string)
		w := get(t, h, src)
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != ic["type"] {
			t.Errorf("icon %s: %d %s, want 200 %s", src, w.Code, w.Header().Get("Content-Type"), ic["type"])
		}
		if !strings.Contains(worker, `"`+src+`"`) {
			t.Errorf("the worker does not precache icon %s", src)
		}
	}
}
