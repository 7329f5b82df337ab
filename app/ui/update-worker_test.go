//go:build !js

package ui

import (
	"strings"
	"testing"
)

func TestActiveVersion(t *testing.T) {
	cases := []struct {
		keys []string
		want string
	}{
		{[]string{"app-3f2a9c1d04be"}, "3f2a9c1d04be"},
		{[]string{"other", "app-3f2a9c1d04be"}, "3f2a9c1d04be"},
		{nil, ""},
		{[]string{"app-"}, ""},
		{[]string{"app-aaaa", "app-bbbb"}, ""}, // an activation did not finish its clean-up
	}
	for _, c := range cases {
		if got := activeVersion(c.keys); got != c.want {
			t.Errorf("activeVersion(%q) = %q, want %q", c.keys, got, c.want)
		}
	}
}

// TestWorkerCachesOneVersion: the update check reads the active version
// from the worker's cache names, which holds only while the worker names
// its cache appCachePrefix + version and deletes the others on activate.
func TestWorkerCachesOneVersion(t *testing.T) {
	for _, want := range []string{
		`const cacheName = "` + appCachePrefix + `" + "{{.Version}}";`,
		`keys.filter((k) => k !== cacheName).map((k) => caches.delete(k))`,
	} {
		if !strings.Contains(ServiceWorkerJS, want) {
			t.Errorf("ServiceWorkerJS no longer has %s", want)
		}
	}
}
