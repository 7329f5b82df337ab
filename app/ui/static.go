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
	"sync/atomic"
	"time"
)

// staticFiles serves the files of an fs.FS under /web/ and resolves static
// resource paths for go-app (unchanged, like app.LocalDir("")).
//
// A file X may come with precompressed variants X.br and X.gz (the build
// makes app.wasm.br and app.wasm.gz; only they are embedded, not app.wasm).
// A text file (see compressible) of at least compressMinBytes that has
// neither gets them made here, once, the first time a client asks for an
// encoding (app.css). A request for X then gets, by its Accept-Encoding,
// the brotli variant (Content-Encoding: br), else the gzip one, else X
// itself, or, when X is not in the FS, X.gz inflated once. Every such
// response carries Vary: Accept-Encoding and a strong ETag of its own per
// encoding, so a cache never answers a request with another encoding's
// bytes. Nothing is compressed per request.
type staticFiles struct {
	fsys fs.FS // nil: only the files given to add

	mu      sync.Mutex
	info    map[string]*fileInfo
	derived map[string]*derivedVariant // by name + "\x00" + coding

	compressions atomic.Int64 // variants made by compressing, for the tests
}

type fileInfo struct {
	data []byte
	hash string // hex, of data
	raw  int64  // uncompressed size, for a .gz
}

// precompressed lists the variants a file may have, in order of preference
// when the client accepts several equally: brotli is about 25% smaller than
// gzip -9 for app.wasm.
var precompressed = []struct {
	coding, ext string
}{
	{"br", ".br"},
	{"gzip", ".gz"},
}

func newStaticFiles(fsys fs.FS) *staticFiles {
	return &staticFiles{fsys: fsys, info: map[string]*fileInfo{}, derived: map[string]*derivedVariant{}}
}

// add makes data the file name, as if it were in the FS (for files made at
// run time: go-app's scripts, the manifest).
func (s *staticFiles) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.info[name] = &fileInfo{data: data, hash: hex.EncodeToString(sum[:12])}
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
	if s.fsys == nil {
		return nil, false
	}
	b, err := fs.ReadFile(s.fsys, name)
	if err != nil {
		s.info[name] = nil
		return nil, false
	}
	sum := sha256.Sum256(b)
	fi := &fileInfo{data: b, hash: hex.EncodeToString(sum[:12])}
	if strings.HasSuffix(name, ".gz") && len(b) >= 4 {
		// ISIZE: the uncompressed size mod 2^32, little endian.
		fi.raw = int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	}
	s.info[name] = fi
	return fi, true
}

// ServeHTTP serves /web/NAME as the file NAME (and /app.wasm, /goapp.wasm
// as app.wasm).
func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/web/")
	if r.URL.Path == "/app.wasm" || r.URL.Path == "/goapp.wasm" {
		name = "app.wasm"
	}
	s.serveFile(w, r, name)
}

// serveFile answers a GET or HEAD request with the file name.
func (s *staticFiles) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if name == "" || !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") {
		http.NotFound(w, r)
		return
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".wasm":
		ctype = "application/wasm"
	case ".webmanifest":
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

	if s.serveEncoded(w, r, name, ctype) {
		return
	}
	fi, ok := s.file(name)
	if !ok {
		if name == "app.wasm" {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			http.Error(w, "app.wasm has not been built: run `make build` (it compiles ./app/cmd/wasm into web/app.wasm.br and web/app.wasm.gz) and restart the server", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("ETag", `"`+fi.hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(fi.data))
}

// serveEncoded answers a request for name from its precompressed variants
// and reports whether it did: false when name has none, or when the client
// accepts none of them and there is no .gz to inflate (the caller then
// serves name itself).
func (s *staticFiles) serveEncoded(w http.ResponseWriter, r *http.Request, name, ctype string) bool {
	for _, p := range precompressed {
		if strings.HasSuffix(name, p.ext) {
			return false // asked for a variant itself: served as it is
		}
	}
	var (
		best     *fileInfo
		coding   string
		bestQ    float64
		gz       *fileInfo
		variants int
	)
	for _, p := range precompressed {
		fi, ok := s.variant(name, p.coding, p.ext)
		if !ok {
			continue
		}
		variants++
		if p.coding == "gzip" {
			gz = fi
		}
		if q := acceptQ(r, p.coding); q > bestQ {
			best, coding, bestQ = fi, p.coding, q
		}
	}
	if variants == 0 {
		return false
	}
	_, hasPlain := s.file(name)
	if best == nil && (gz == nil || hasPlain) {
		// Identity, from the file itself; the response still varies.
		w.Header().Set("Vary", "Accept-Encoding")
		return false
	}
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	h.Set("Content-Type", ctype)
	if name == "app.wasm" && gz != nil {
		h.Set(WasmContentLengthHeader, strconv.FormatInt(gz.raw, 10))
	}
	if best != nil {
		h.Set("Content-Encoding", coding)
		h.Set("ETag", `"`+best.hash+"-"+coding+`"`)
		if r.Header.Get("Range") == "" {
			// ServeContent leaves it out when Content-Encoding is set.
			h.Set("Content-Length", strconv.Itoa(len(best.data)))
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(best.data))
		return true
	}
	// A client that accepts neither encoding: the gzip variant, inflated
	// once and kept (inflating the 8 MB wasm per request let any client
	// make the server work for every request it sent).
	plain, err := s.inflated(name, gz)
	if err != nil {
		http.Error(w, "corrupt compressed file", http.StatusInternalServerError)
		return true
	}
	h.Set("ETag", `"`+gz.hash+`-identity"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(plain.data))
	return true
}

// inflated returns name's gzip variant gz inflated, made once.
func (s *staticFiles) inflated(name string, gz *fileInfo) (*fileInfo, error) {
	key := name + "\x00identity"
	s.mu.Lock()
	defer s.mu.Unlock()
	if fi := s.info[key]; fi != nil {
		return fi, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	fi := &fileInfo{data: b, hash: gz.hash}
	s.info[key] = fi
	return fi, nil
}

// acceptQ returns the weight the request's Accept-Encoding gives coding:
// that of its own entry, else that of "*", else 0 (also with no header).
// An unreadable weight counts as 1.
func acceptQ(r *http.Request, coding string) float64 {
	own, star := -1.0, -1.0
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			c, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			c = strings.ToLower(strings.TrimSpace(c))
			if c != coding && c != "*" {
				continue
			}
			q := 1.0
			for param := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			if c == coding {
				own = max(own, q)
			} else {
				star = max(star, q)
			}
		}
	}
	switch {
	case own >= 0:
		return own
	case star >= 0:
		return star
	}
	return 0
}

// etagMatch reports whether an If-None-Match header matches etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatch(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}
