package main

import (
	"net/http"
	"net/url"

	"livefeed/app/ui"
)

// The server registers the same routes as the browser (it prerenders pages
// and answers 404 for unregistered paths) and serves the PWA.
func init() {
	newApp = func(version string, public *url.URL, firstPaint firstPaintFunc) http.Handler {
		ui.Routes()
		return ui.NewHTTPHandler(version, ui.WithPublicURL(public), ui.WithFirstPaint(firstPaint))
	}
}
