//go:build !js

package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"sync"

	"github.com/andybalholm/brotli"
)

// compressMinBytes is the smallest file staticFiles compresses itself: below
// it the bytes saved are fewer than the Content-Encoding and Vary headers
// cost (robots.txt stays as it is).
const compressMinBytes = 1024

// compressible lists the extensions of the text files staticFiles
// compresses itself when they come without precompressed variants. Images
// (PNG) and the wasm are not in it: PNGs are compressed already, and the
// wasm is compressed by the build (brotli -q 11 takes it 50 s).
var compressible = map[string]bool{
	".css":         true,
	".js":          true,
	".json":        true,
	".webmanifest": true,
	".svg":         true,
	".txt":         true,
	".html":        true,
}

// derivedVariant is a variant staticFiles made by compressing a file, once.
type derivedVariant struct {
	once sync.Once
	fi   *fileInfo // nil: the file is not worth compressing
}

// variant returns name's variant for coding: the FS's name+ext when there
// is one, else, for a compressible file of at least compressMinBytes, the
// file compressed here the first time it is asked for and kept (false when
// that does not make it smaller).
func (s *staticFiles) variant(name, coding, ext string) (*fileInfo, bool) {
	if fi, ok := s.file(name + ext); ok {
		return fi, true
	}
	if !compressible[path.Ext(name)] {
		return nil, false
	}
	plain, ok := s.file(name)
	if !ok || len(plain.data) < compressMinBytes {
		return nil, false
	}
	key := name + "\x00" + coding
	s.mu.Lock()
	d := s.derived[key]
	if d == nil {
		d = &derivedVariant{}
		s.derived[key] = d
	}
	s.mu.Unlock()
	// Compressed outside s.mu: other files are served meanwhile; requests
	// for this one wait for the first.
	d.once.Do(func() {
		s.compressions.Add(1)
		b := compress(coding, plain.data)
		if len(b) >= len(plain.data) {
			return
		}
		sum := sha256.Sum256(b)
		d.fi = &fileInfo{data: b, hash: hex.EncodeToString(sum[:12])}
	})
	return d.fi, d.fi != nil
}

// compress returns data compressed with coding ("br" or "gzip") at its best
// level: the result is kept and sent many times, and the files are small
// (app.css, 19 KB: brotli -q 11 takes about 50 ms, once per process, and
// makes it 3,987 bytes against 4,341 at -q 9 and 4,636 with gzip -9).
func compress(coding string, data []byte) []byte {
	var b bytes.Buffer
	switch coding {
	case "br":
		w := brotli.NewWriterLevel(&b, brotli.BestCompression)
		w.Write(data)
		w.Close()
	case "gzip":
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write(data)
		w.Close()
	default:
		panic("ui: unknown content coding " + coding)
	}
	return b.Bytes()
}
