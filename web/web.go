// Package web holds Livefeed's static files: the stylesheet, the icons and,
// once built, the compressed WebAssembly app (app.wasm.gz). The server embeds
// them with go:embed, so one binary serves everything.
//
// app.wasm and app.wasm.gz are build outputs (see the Makefile): the build
// compiles ./app/cmd/wasm to web/app.wasm and compresses it to
// web/app.wasm.gz. Only the compressed file is embedded. The "*.gz" pattern
// is also matched by the committed icon.svg.gz, so this package compiles on a
// fresh clone before the wasm has been built; ui.NewHTTPHandler then answers
// /web/app.wasm with 503 until it is.
package web

import "embed"

// Files holds the static files, at the root of the file system (app.css,
// icon.svg, app.wasm.gz, ...). A file X may come with a precompressed X.gz.
//
//go:embed *.css *.svg *.png *.txt *.gz
var Files embed.FS

// WasmGz is the name of the compressed WebAssembly app in Files.
const WasmGz = "app.wasm.gz"
