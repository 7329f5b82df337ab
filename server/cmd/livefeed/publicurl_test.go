package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPublicURLOGTags: serve hands --public-url to the app, whose pages
// then name absolute og:url and og:image URLs under it (its scheme
// included); without the flag they have neither.
func TestPublicURLOGTags(t *testing.T) {
	page := func(addr, path string) string {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir(), "--public-url", "http://"+addr)
	got := page(addr, "/f/team")
	for _, want := range []string{
		`<meta property="og:url" content="http://` + addr + `/f/team">`,
		`<meta property="og:image" content="http://` + addr + `/web/icon-512.png">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("with --public-url: the page lacks %s", want)
		}
	}

	addr2 := freeAddr(t)
	startServer(t, addr2, t.TempDir())
	if got := page(addr2, "/f/team"); strings.Contains(got, `property="og:url"`) || strings.Contains(got, `property="og:image"`) {
		t.Error("without --public-url: the page has og:url or og:image")
	}
}
