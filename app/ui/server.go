//go:build !js

package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/web"
)

// WasmContentLengthHeader carries the uncompressed size of app.wasm, so that
// go-app's loader shows a correct progress while the browser decodes the
// brotli- or gzip-encoded download (Content-Length is the encoded size).
const WasmContentLengthHeader = "X-Wasm-Content-Length"

// ContentSecurityPolicy is sent with every response of NewHTTPHandler. Go's
// WebAssembly needs 'wasm-unsafe-eval'; nothing else is inline or remote.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Theme colours (also in web/app.css).
const (
	themeColor      = "#4f46e5"
	backgroundColor = "#f5f6fa"
)

// Handler returns the configured go-app handler: name, icons (local files
// only: the service worker precaches every one of them and a single remote
// URL that cannot be fetched leaves the offline cache empty), styles,
// version and service worker. version must identify the build (an empty one
// is replaced by "dev"): every distinct value makes open clients offer an
// update. Static files under /web/ come from web.Files.
func Handler(version string) *app.Handler {
	if version == "" {
		version = "dev"
	}
	return &app.Handler{
		Name:        "Livefeed",
		ShortName:   "Livefeed",
		Title:       "Livefeed",
		Description: "A live feed you write together: posts, edits and reactions appear for everyone in a blink, and it keeps working offline.",
		Author:      "Livefeed",
		Lang:        "en",
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			SVG:      "/web/icon.svg",
			Maskable: "/web/icon-maskable-512.png",
		},
		StartURL:        "/",
		BackgroundColor: backgroundColor,
		ThemeColor:      themeColor,
		LoadingLabel:    "Loading Livefeed… {progress}%",
		Styles:          []string{"/web/app.css"},
		// The icons, styles, "/" and the wasm are precached by default;
		// the SVG icon is used as the favicon. Named feeds (/f/...) open
		// offline through the worker's navigation fallback to the cached
		// "/" shell (the app routes by the page's URL).
		CacheableResources:      []string{"/web/icon.svg"},
		Version:                 version,
		Resources:               newStaticFiles(web.Files),
		WasmContentLengthHeader: WasmContentLengthHeader,
		ServiceWorkerTemplate:   ServiceWorkerJS,
	}
}

// Option configures NewHTTPHandler.
type Option func(*options)

type options struct {
	publicURL  *url.URL
	firstPaint FirstPaintFunc // prerender.go
}

// WithPublicURL gives the URL people open the app at (serve's
// --public-url): the pages' og:url and og:image are absolute URLs under its
// scheme and host. Without it (or with nil) the pages have neither tag.
func WithPublicURL(u *url.URL) Option {
	return func(o *options) { o.publicURL = u }
}

// NewHTTPHandler returns the whole PWA: the prerendered pages of Routes,
// with their og tags set by openGraph; the not-found page (status 404) for
// any other path; go-app's scripts and style and our manifest, compressed
// (generatedFiles); go-app's service worker; and the static files of
// web.Files under /web/ (see staticFiles: /web/app.wasm is served
// precompressed, brotli or gzip, or 503 if the wasm was not built). Mount
// it at "/" after the API and WebSocket routes.
func NewHTTPHandler(version string, opts ...Option) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	Routes()
	h := Handler(version)
	static := h.Resources.(*staticFiles)
	generated := newGeneratedFiles(h)
	og := newOpenGraph(o.publicURL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/web/"), p == "/app.wasm", p == "/goapp.wasm":
			static.ServeHTTP(w, r)
		case p == "/robots.txt":
			r2 := *r
			u := *r.URL
			u.Path = "/web/robots.txt"
			r2.URL = &u
			static.ServeHTTP(w, &r2)
		case p == "/sitemap.xml", p == "/ads.txt":
			// go-app would fetch these from itself over HTTP; there are none.
			http.NotFound(w, r)
		case generatedPaths[p] != "", manifestPaths[p]:
			generated.serve(w, r, p)
		default:
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				hd.Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			servePage(w, r, h, og, &o)
		}
	})
}

// servePage answers with what go-app's handler answers (a prerendered page,
// the service worker), but for a page with its og tags rewritten (see
// openGraph), and for a path go-app has no page for (404) with the
// not-found page. A feed page is prerendered for its reader (their first
// paint, prerender.go): such a page is never stored (Cache-Control:
// no-store), so that no cache, on a shared device least of all, keeps one
// reader's posts and name for the next. No page is ever answered 304:
// go-app's ETag is the version, the same for everyone's page.
func servePage(w http.ResponseWriter, r *http.Request, h *app.Handler, og openGraph, o *options) {
	r, personal, release := o.withFirstPaint(r)
	defer release()
	if r.Header.Get("If-None-Match") != "" {
		r = r.Clone(r.Context())
		r.Header.Del("If-None-Match")
	}
	b := newResponseBuffer()
	h.ServeHTTP(b, r)
	if b.status() == http.StatusNotFound {
		notFound(w, r)
		return
	}
	body := b.body.Bytes()
	html := strings.HasPrefix(b.header.Get("Content-Type"), "text/html")
	if b.status() == http.StatusOK && html {
		body = og.rewrite(body, r.URL.Path)
		b.header.Set("Content-Type", "text/html; charset=utf-8")
	}
	hd := w.Header()
	for k, v := range b.header {
		hd[k] = v
	}
	if html {
		hd.Del("ETag")
		hd.Add("Vary", "Cookie")
	}
	if personal {
		hd.Set("Cache-Control", "no-store")
	}
	if b.header.Get("Content-Length") != "" {
		hd.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(b.status())
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
