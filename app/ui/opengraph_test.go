//go:build !js

package ui

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var ogTag = regexp.MustCompile(`<meta [^>]*property="(og:url|og:image)"[^>]*>`)

// ogTags returns the og:url and og:image tags of page.
func ogTags(page string) []string { return ogTag.FindAllString(page, -1) }

// TestNoBogusOGTags: without a public URL the pages have no og:url or
// og:image. go-app v10.1.11 writes both as the literal "https://" (the test
// fails there); the other og tags stay.
func TestNoBogusOGTags(t *testing.T) {
	h := NewHTTPHandler("test-1")
	for _, p := range []string{"/", "/f/team"} {
		w := get(t, h, p)
		page := w.Body.String()
		if w.Code != 200 || len(ogTags(page)) != 0 || strings.Contains(page, `"https://"`) {
			t.Errorf("GET %s: %d, og tags %q", p, w.Code, ogTags(page))
		}
		for _, want := range []string{`property="og:title"`, `property="og:description"`, `property="og:type"`, `<title>`} {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s: lost %s", p, want)
			}
		}
		if w.Header().Get("Content-Length") != strconv.Itoa(len(page)) || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: %v", p, w.Header())
		}
	}
}

// TestOGTagsFromPublicURL: with a public URL, og:url is the page's absolute
// URL and og:image the large icon's, with the public URL's scheme (go-app
// would always write https://) and host.
func TestOGTagsFromPublicURL(t *testing.T) {
	for _, tc := range []struct {
		public, path, url, image string
	}{
		{"https://feed.example.com", "/", "https://feed.example.com/", "https://feed.example.com/web/icon-512.png"},
		{"https://feed.example.com/", "/f/team-1", "https://feed.example.com/f/team-1", "https://feed.example.com/web/icon-512.png"},
		{"http://127.0.0.1:8080", "/f/x", "http://127.0.0.1:8080/f/x", "http://127.0.0.1:8080/web/icon-512.png"},
	} {
		u, err := url.Parse(tc.public)
		if err != nil {
			t.Fatal(err)
		}
		h := NewHTTPHandler("test-1", WithPublicURL(u))
		page := get(t, h, tc.path).Body.String()
		want := []string{
			`<meta property="og:url" content="` + tc.url + `">`,
			`<meta property="og:image" content="` + tc.image + `">`,
		}
		if got := ogTags(page); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s %s: og tags %q, want %q", tc.public, tc.path, got, want)
		}
		if w := do(t, h, http.MethodHead, tc.path); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != strconv.Itoa(len(page)) {
			t.Errorf("HEAD %s: %d, %d bytes, %v", tc.path, w.Code, w.Body.Len(), w.Header())
		}
	}
	if w := get(t, NewHTTPHandler("test-1"), OGImage); w.Code != 200 || w.Header().Get("Content-Type") != "image/png" {
		t.Errorf("og:image %s: %d %v", OGImage, w.Code, w.Header())
	}
	if w := get(t, NewHTTPHandler("test-1", WithPublicURL(nil)), "/"); len(ogTags(w.Body.String())) != 0 {
		t.Error("WithPublicURL(nil): og tags")
	}
}

// TestOGRewrite: the rewrite finds the tags whatever the order of their
// attributes, with a '>' or an escaped quote inside a value before them,
// and touches nothing outside the head.
func TestOGRewrite(t *testing.T) {
	page := "<html>\n  <head>\n" +
		`    <meta name="description" content="a \"quoted\" > b">` + "\n" +
		`    <meta content="https://" property="og:url">` + "\n" +
		`    <meta property="og:title" content="T">` + "\n" +
		`    <meta property="og:image" content="https://">` + "\n" +
		"  </head>\n  <body><p>" + `<meta property="og:url" content="in the body">` + "</p></body>\n</html>\n"
	none := (openGraph{}).rewrite([]byte(page), "/")
	wantNone := "<html>\n  <head>\n" +
		`    <meta name="description" content="a \"quoted\" > b">` + "\n" +
		`    <meta property="og:title" content="T">` + "\n" +
		"  </head>\n  <body><p>" + `<meta property="og:url" content="in the body">` + "</p></body>\n</html>\n"
	if string(none) != wantNone {
		t.Errorf("no public URL:\n%s\nwant\n%s", none, wantNone)
	}
	u, _ := url.Parse("https://a.example")
	set := string(newOpenGraph(u).rewrite([]byte(page), "/f/x"))
	for _, want := range []string{
		`<meta property="og:url" content="https://a.example/f/x">`,
		`<meta property="og:image" content="https://a.example/web/icon-512.png">`,
		`content="in the body"`,
		`<meta property="og:title" content="T">`,
	} {
		if !strings.Contains(set, want) {
			t.Errorf("public URL: lacks %s:\n%s", want, set)
		}
	}
	if strings.Contains(set, `"https://"`) {
		t.Errorf("public URL: a bogus tag is left:\n%s", set)
	}
	if got := (openGraph{}).rewrite([]byte("no head"), "/"); string(got) != "no head" {
		t.Errorf("no head: %q", got)
	}
}
