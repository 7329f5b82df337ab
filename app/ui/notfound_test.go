//go:build !js

package ui

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"livefeed/shared/protocol"
)

// TestNotFoundPage: a path that is no page (an invalid feed name, /nope)
// gets status 404 and a styled HTML page (the app's stylesheet, no script)
// with a heading, the feed name rule and a link to the main feed. Before,
// it got go-app's plain-text "404 page not found" (the test fails there).
func TestNotFoundPage(t *testing.T) {
	h := NewHTTPHandler("test-1")
	for _, tc := range []struct {
		path, heading string
	}{
		{"/f/Bad%20Name!!", "Feed not found"},
		{"/f/", "Feed not found"},
		{"/f/-x", "Feed not found"},
		{"/f/" + strings.Repeat("a", 33), "Feed not found"},
		{"/nope", "Page not found"},
		{"/f/main/extra", "Feed not found"},
		{"/index.html", "Page not found"},
	} {
		w := get(t, h, tc.path)
		page := w.Body.String()
		hd := w.Header()
		if w.Code != http.StatusNotFound || hd.Get("Content-Type") != "text/html; charset=utf-8" ||
			hd.Get("Content-Length") != strconv.Itoa(len(page)) || hd.Get("Content-Security-Policy") != ContentSecurityPolicy {
			t.Errorf("GET %s: %d %v", tc.path, w.Code, hd)
		}
		if hd.Get("ETag") != "" {
			t.Errorf("GET %s: ETag %s (go-app's version ETag on a 404)", tc.path, hd.Get("ETag"))
		}
		for _, want := range []string{
			`<h1 id="notfound-title">` + tc.heading + `</h1>`,
			`<title>` + tc.heading + ` · Livefeed</title>`,
			`<link rel="stylesheet" href="/web/app.css">`,
			`<a class="btn btn-primary notfound-home" href="/">Back to the main feed</a>`,
			"1 to 32 characters",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s: lacks %s\n%s", tc.path, want, page)
			}
		}
		if strings.Contains(page, "<script") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
			t.Errorf("GET %s: the page has script", tc.path)
		}
		if w := do(t, h, http.MethodHead, tc.path); w.Code != http.StatusNotFound || w.Body.Len() != 0 ||
			w.Header().Get("Content-Length") != strconv.Itoa(len(page)) {
			t.Errorf("HEAD %s: %d, %d bytes", tc.path, w.Code, w.Body.Len())
		}
	}
	// Every resource the page uses is served.
	for _, p := range []string{"/web/app.css", "/web/icon.svg", "/"} {
		if w := get(t, h, p); w.Code != 200 {
			t.Errorf("the not-found page uses %s: %d", p, w.Code)
		}
	}
	// Still 404 for what is not a page: resources, and other methods 405.
	if w := get(t, h, "/web/missing.png"); w.Code != 404 || strings.Contains(w.Body.String(), "<html") {
		t.Errorf("/web/missing.png: %d %q", w.Code, w.Body.String())
	}
	if w := do(t, h, http.MethodPost, "/nope"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /nope: %d", w.Code)
	}
}

// TestNotFoundShowsPathSafely: the requested path is shown HTML-escaped,
// with characters that do not print replaced, cut at notFoundPathChars;
// a name that is valid once lower-cased is suggested as a link.
func TestNotFoundShowsPathSafely(t *testing.T) {
	h := NewHTTPHandler("test-1")
	page := get(t, h, "/f/"+url.PathEscape(`<script>alert(1)</script>"x`)).Body.String()
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;&#34;x") {
		t.Errorf("the path is not escaped:\n%s", page)
	}
	page = get(t, h, "/nope"+url.PathEscape("\u202egnp.exe\x01")).Body.String()
	if strings.Contains(page, "\u202e") || strings.Contains(page, "\x01") || !strings.Contains(page, "/nope\uFFFDgnp.exe\uFFFD") {
		t.Errorf("characters that do not print are shown:\n%s", page)
	}
	long := "/" + strings.Repeat("é", 200)
	want := `<code class="notfound-path">` + long[:1] + strings.Repeat("é", notFoundPathChars-1) + "…</code>"
	if page := get(t, h, "/"+url.PathEscape(long[1:])).Body.String(); !strings.Contains(page, want) {
		t.Errorf("a long path is not cut at %d characters:\n%s", notFoundPathChars, page)
	}
	if page := get(t, h, "/f/Team-1").Body.String(); !strings.Contains(page, `Did you mean <a href="/f/team-1">/f/team-1</a>?`) {
		t.Errorf("no suggestion for /f/Team-1:\n%s", page)
	}
	if page := get(t, h, "/f/Bad%20Name!!").Body.String(); strings.Contains(page, "Did you mean") {
		t.Error("a suggestion for a name that has none")
	}
}

// TestFeedNameRule: what FeedNameRule says is what protocol.ValidFeed
// accepts (when the rule changes, change the sentence).
func TestFeedNameRule(t *testing.T) {
	for name, valid := range map[string]bool{
		"a":                     true,
		strings.Repeat("a", 32): true,
		strings.Repeat("a", 33): false, // 1 to 32 characters
		"":                      false,
		"team-1":                true, // the example
		"a_b-c9":                true, // letters, digits, '-', '_'
		"0a":                    true, // beginning with a digit
		"-a":                    false,
		"_a":                    false, // or a letter
		"Team":                  false, // lower-case
		"é":                     false, // a–z only
		"a b":                   false,
		"a.b":                   false,
	} {
		if protocol.ValidFeed(name) != valid {
			t.Errorf("ValidFeed(%q) = %v, but FeedNameRule says %v: %s", name, !valid, valid, FeedNameRule)
		}
	}
	for _, want := range []string{"1 to 32", "lower-case letters a\u2060–\u2060z", "digits 0\u2060–\u20609", "hyphens (-)", "underscores (_)", "beginning with a letter or a digit", "/f/team-1"} {
		if !strings.Contains(FeedNameRule, want) {
			t.Errorf("FeedNameRule lacks %q", want)
		}
	}
}
