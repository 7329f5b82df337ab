// Package web holds Livefeed's static files: the stylesheet, the icons and,
// once built, the compressed WebAssembly app (app.wasm.br and app.wasm.gz).
// The server embeds them with go:embed, so one binary serves everything.
//
// app.wasm, app.wasm.br and app.wasm.gz are build outputs (see the
// Makefile): the build compiles ./app/cmd/wasm to web/app.wasm and
// compresses it once, with brotli -q 11 and gzip -9. Only the compressed
// files are embedded. The "*.br" and "*.gz" patterns are also matched by the
// committed icon.svg.br and icon.svg.gz, so this package compiles on a fresh
// clone before the wasm has been built; ui.NewHTTPHandler then answers
// /web/app.wasm with 503 until it is.
package web

import "embed"

// Files holds the static files, at the root of the file system (app.css,
// icon.svg, app.wasm.gz, ...). A file X may come with precompressed X.br
// and X.gz.
//
//go:embed *.css *.svg *.png *.txt *.br *.gz
var Files embed.FS

// The compressed WebAssembly app in Files (once built).
const (
	WasmBr = "app.wasm.br"
	WasmGz = "app.wasm.gz"
)
