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
	ui.Routes()
	app.RunWhenOnBrowser()
}
