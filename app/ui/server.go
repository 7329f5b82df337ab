//go:build !js

package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/web"
)

// WasmContentLengthHeader carries the uncompressed size of app.wasm, so that
// go-app's loader shows a correct progress while the browser inflates the
// gzip-encoded download (Content-Length is the compressed size).
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

// NewHTTPHandler returns the whole PWA: the prerendered pages of Routes (404
// for other paths), go-app's scripts, manifest and service worker, and the
// static files of web.Files under /web/. /web/app.wasm is served from the
// embedded app.wasm.gz with Content-Encoding: gzip (inflated on the fly for a
// client that does not accept gzip), or 503 if the wasm was not built.
// Mount it at "/" after the API and WebSocket routes.
func NewHTTPHandler(version string) http.Handler {
	Routes()
	h := Handler(version)
	static := h.Resources.(*staticFiles)
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
		default:
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				hd.Set("Allow", "GET, HEAD")
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			h.ServeHTTP(w, r)
		}
	})
}

// staticFiles serves the files of an fs.FS under /web/ and resolves static
// resource paths for go-app (unchanged, like app.LocalDir("")).
type staticFiles struct {
	fsys fs.FS

	mu   sync.Mutex
	info map[string]*fileInfo
}

type fileInfo struct {
	data []byte
	etag string
	raw  int64 // uncompressed size, for a .gz
}

func newStaticFiles(fsys fs.FS) *staticFiles {
	return &staticFiles{fsys: fsys, info: map[string]*fileInfo{}}
}

// Resolve implements app.ResourceResolver.
func (s *staticFiles) Resolve(location string) string {
	if location == "/" || location == "" {
		return "/"
	}
	if strings.HasPrefix(location, "https://") || strings.HasPrefix(location, "http://") {
		return location
	}
	if strings.HasPrefix(location, "/web/") || location == "/web" ||
		strings.HasPrefix(location, "web/") || location == "web" {
		return "/" + strings.Trim(location, "/")
	}
	return location
}

// file returns a file's content and validators, cached (the FS is
// read-only).
func (s *staticFiles) file(name string) (*fileInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fi, ok := s.info[name]; ok {
		return fi, fi != nil
	}
	b, err := fs.ReadFile(s.fsys, name)
	if err != nil {
		s.info[name] = nil
		return nil, false
	}
	sum := sha256.Sum256(b)
	fi := &fileInfo{data: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	if strings.HasSuffix(name, ".gz") && len(b) >= 4 {
		// ISIZE: the uncompressed size mod 2^32, little endian.
		fi.raw = int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	}
	s.info[name] = fi
	return fi, true
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/web/")
	if r.URL.Path == "/app.wasm" || r.URL.Path == "/goapp.wasm" {
		name = "app.wasm"
	}
	if name == "" || !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") {
		http.NotFound(w, r)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".wasm" {
		ctype = "application/wasm"
	}
	if path.Ext(name) == ".webmanifest" {
		ctype = "application/manifest+json"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	// The URLs are not versioned (go-app loads /web/app.wasm): caches must
	// revalidate, and the strong ETags make that a 304 when unchanged. The
	// service worker keeps its own copy for offline use.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")

	if !strings.HasSuffix(name, ".gz") {
		if gz, ok := s.file(name + ".gz"); ok {
			h.Set("Vary", "Accept-Encoding")
			if name == "app.wasm" {
				h.Set(WasmContentLengthHeader, strconv.FormatInt(gz.raw, 10))
			}
			h.Set("Content-Type", ctype)
			if acceptsGzip(r) {
				h.Set("Content-Encoding", "gzip")
				h.Set("ETag", strings.TrimSuffix(gz.etag, `"`)+`-gz"`)
				if r.Header.Get("Range") == "" {
					// ServeContent leaves it out when Content-Encoding is set.
					h.Set("Content-Length", strconv.Itoa(len(gz.data)))
				}
				http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(gz.data))
				return
			}
			etag := strings.TrimSuffix(gz.etag, `"`) + `-id"`
			h.Set("ETag", etag)
			if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz.data))
			if err != nil {
				http.Error(w, "corrupt compressed file", http.StatusInternalServerError)
				return
			}
			defer zr.Close()
			h.Set("Content-Length", strconv.FormatInt(gz.raw, 10))
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				_, _ = io.Copy(w, zr)
			}
			return
		}
	}
	fi, ok := s.file(name)
	if !ok {
		if name == "app.wasm" {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			http.Error(w, "app.wasm has not been built: run `make build` (it compiles ./app/cmd/wasm into web/app.wasm.gz) and restart the server", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("ETag", fi.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(fi.data))
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			q := strings.TrimSpace(params)
			if qv, ok := strings.CutPrefix(q, "q="); ok {
				if f, err := strconv.ParseFloat(qv, 64); err == nil && f == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}
