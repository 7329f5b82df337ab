//go:build !js

package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// generatedPaths maps the paths of the files go-app's handler generates
// (and its aliases of them) to the name generatedFiles serves them under.
// app.js depends on the version; wasm_exec.js comes with go-app; /app.css
// is go-app's loader style (ours is /web/app.css, a static file).
var generatedPaths = map[string]string{
	"/app.js":       "app.js",
	"/goapp.js":     "app.js",
	"/wasm_exec.js": "wasm_exec.js",
	"/app.css":      "app.css",
}

// manifestPaths are the paths of the web app manifest (go-app answers
// both; the page links the first).
var manifestPaths = map[string]bool{"/manifest.webmanifest": true, "/manifest.json": true}

// generatedFiles serves go-app's generated scripts and style (see
// generatedPaths) and our web app manifest (manifestJSON) like the static
// files: each made once (the scripts taken from go-app's own handler on the
// first request for any of them), compressed once per encoding, chosen by
// Accept-Encoding, with Vary, a strong ETag per encoding, Cache-Control:
// no-cache and 304 on a matching If-None-Match (see staticFiles). go-app
// would send them uncompressed, with the version as their ETag.
//
// The service worker's precache list is unchanged: the same paths, served
// by this server.
type generatedFiles struct {
	h *app.Handler

	once  sync.Once
	files *staticFiles
	err   error
}

func newGeneratedFiles(h *app.Handler) *generatedFiles { return &generatedFiles{h: h} }

// load fills g.files: the manifest, and each generated file as go-app's
// handler answers a plain GET for it.
func (g *generatedFiles) load() {
	g.files = newStaticFiles(nil)
	g.files.add("manifest.webmanifest", manifestJSON(g.h))
	for p, name := range generatedPaths {
		if p != "/"+name {
			continue // an alias
		}
		b := newResponseBuffer()
		g.h.ServeHTTP(b, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Header: http.Header{}, Host: "localhost"})
		if b.status() != http.StatusOK || b.body.Len() == 0 {
			g.err = fmt.Errorf("go-app answered %s with %d and %d bytes", p, b.status(), b.body.Len())
			return
		}
		g.files.add(name, b.body.Bytes())
	}
}

// serve answers a request for path, one of generatedPaths or manifestPaths.
func (g *generatedFiles) serve(w http.ResponseWriter, r *http.Request, path string) {
	g.once.Do(g.load)
	if g.err != nil {
		http.Error(w, "generating "+path+": "+g.err.Error(), http.StatusInternalServerError)
		return
	}
	name, ok := generatedPaths[path]
	if manifestPaths[path] {
		name, ok = "manifest.webmanifest", true
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	g.files.serveFile(w, r, name)
}
