//go:build !js

package ui

import (
	"encoding/json"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// ManifestID is the web app manifest's id. Without one, browsers take the
// start_url ("/") as the app's identity: "/" keeps that identity for the
// installs made before the manifest had an id (Chromium's Page.getAppId
// recommended "/" for them).
const ManifestID = "/"

// manifestIcon is one entry of the manifest's icons.
type manifestIcon struct {
	Src     string `json:"src"`
	Type    string `json:"type"`
	Sizes   string `json:"sizes"`
	Purpose string `json:"purpose"` // "any" or "maskable"
}

// webManifest is /manifest.webmanifest.
type webManifest struct {
	ID              string         `json:"id"`
	ShortName       string         `json:"short_name"`
	Name            string         `json:"name"`
	Description     string         `json:"description"`
	Scope           string         `json:"scope"`
	StartURL        string         `json:"start_url"`
	BackgroundColor string         `json:"background_color"`
	ThemeColor      string         `json:"theme_color"`
	Display         string         `json:"display"`
	Icons           []manifestIcon `json:"icons"`
}

// manifestJSON returns the web app manifest of h. It says what go-app
// v10.1.11 generates from the same fields (http.go, makeManifestJSON: same
// names, colours, scope, start URL, display and icons, in the same order)
// and adds what go-app leaves out: an id, and a purpose for every icon (go-app
// gives the maskable icon "maskable" and the others an empty purpose,
// which is not a valid value): "any" for all but h.Icon.Maskable. The
// icons are h's local files, which the service worker precaches.
func manifestJSON(h *app.Handler) []byte {
	icons := []manifestIcon{
		{Src: h.Icon.Maskable, Type: "image/png", Sizes: "512x512", Purpose: "maskable"},
		{Src: h.Icon.SVG, Type: "image/svg+xml", Sizes: "any", Purpose: "any"},
		{Src: h.Icon.Large, Type: "image/png", Sizes: "512x512", Purpose: "any"},
		{Src: h.Icon.Default, Type: "image/png", Sizes: "192x192", Purpose: "any"},
	}
	b, err := json.Marshal(webManifest{
		ID:              ManifestID,
		ShortName:       h.ShortName,
		Name:            h.Name,
		Description:     h.Description,
		Scope:           "/",
		StartURL:        h.StartURL,
		BackgroundColor: h.BackgroundColor,
		ThemeColor:      h.ThemeColor,
		Display:         "standalone",
		Icons:           icons,
	})
	if err != nil {
		panic("ui: encoding the manifest: " + err.Error()) // only strings: cannot fail
	}
	return b
}
