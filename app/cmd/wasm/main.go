// Command wasm is the browser half of Livefeed, compiled to WebAssembly:
//
//	GOOS=js GOARCH=wasm go build -o web/app.wasm ./app/cmd/wasm
//
// It registers the same routes the server prerenders and hands control to
// go-app.
package main

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/ui"
)

func main() {
	// The start of the app's own code, for the UI benchmarks (e2e/bench):
	// what comes after this mark is ours, what comes before is the
	// download and the wasm's instantiation.
	app.Window().Get("performance").Call("mark", "livefeed:main")
	ui.Routes()
	app.RunWhenOnBrowser()
}
