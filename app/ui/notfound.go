//go:build !js

package ui

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"livefeed/shared/protocol"
)

// notFoundPathChars is how many characters of the requested path the
// not-found page shows; a longer path is cut there and ends with "…".
const notFoundPathChars = 80

// notFoundPage is the page for a path that is no page of the app (an
// invalid feed name, /nope): server-rendered HTML in the app's look
// (/web/app.css), with no script at all, so it shows without the wasm and
// under ContentSecurityPolicy. Every value put in it is HTML-escaped.
//
// It is built with html.EscapeString, not html/template: text/template's
// calls of reflect.Value.MethodByName make the linker keep every exported
// method of every type: the server binary was 6.7 MB larger with it.
func notFoundPage(d notFoundData) []byte {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
    <meta name="theme-color" content="` + e(themeColor) + `">
    <meta name="robots" content="noindex">
    <title>` + e(d.Title) + ` · Livefeed</title>
    <link rel="icon" href="/web/icon.svg">
    <link rel="stylesheet" href="/web/app.css">
  </head>
  <body>
    <div class="app">
      <header class="topbar">
        <div class="topbar-inner">
          <a class="brand" href="/">
            <img class="brand-logo" src="/web/icon.svg" alt="" width="28" height="28">
            <span class="brand-name">Livefeed</span>
          </a>
        </div>
      </header>
      <main id="main" class="column">
        <section class="card notfound" aria-labelledby="notfound-title">
          <p class="notfound-code" aria-hidden="true">404</p>
          <h1 id="notfound-title">` + e(d.Title) + `</h1>
          <p class="notfound-what">` + e(d.What) + ` <code class="notfound-path">` + e(d.Path) + `</code>` + e(d.WhatEnd) + `</p>
`)
	if d.Suggest != "" {
		b.WriteString(`          <p>Did you mean <a href="` + e(d.Suggest) + `">` + e(d.Suggest) + `</a>?</p>
`)
	}
	b.WriteString(`          <div class="notfound-rule">
            <h2>Feed names</h2>
            <p class="muted">` + e(FeedNameRule) + `</p>
          </div>
          <a class="btn btn-primary notfound-home" href="/">Back to the main feed</a>
        </section>
      </main>
    </div>
  </body>
</html>
`)
	return []byte(b.String())
}

type notFoundData struct {
	Title, What, Path, WhatEnd, Suggest string
}

// notFound answers a GET or HEAD request for a path that is no page with
// the not-found page and status 404.
func notFound(w http.ResponseWriter, r *http.Request) {
	d := notFoundData{
		Title: "Page not found", What: "There is no page at", WhatEnd: ".",
		Path: shownPath(r.URL.Path),
	}
	if name, ok := strings.CutPrefix(r.URL.Path, FeedPathPrefix); ok {
		d.Title = "Feed not found"
		if name == "" {
			d.What, d.WhatEnd = "The address", " names no feed."
		} else {
			d.What, d.WhatEnd = "There can be no feed at", ": that is not a valid feed name."
		}
		if s := strings.ToLower(strings.TrimSpace(name)); s != name && protocol.ValidFeed(s) {
			d.Suggest = FeedPath(s) // only [a-z0-9_-]: safe in an href
		}
	}
	page := notFoundPage(d)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		w.Write(page)
	}
}

// shownPath returns path as the not-found page shows it: characters that
// do not print (controls, direction overrides) replaced with U+FFFD, at
// most notFoundPathChars of them.
func shownPath(path string) string {
	path = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(path, "\uFFFD"))
	if utf8.RuneCountInString(path) <= notFoundPathChars {
		return path
	}
	return string([]rune(path)[:notFoundPathChars]) + "…"
}
