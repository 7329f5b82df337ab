package ui

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// setAppBadge puts n on the installed app's icon (the Badging API:
// navigator.setAppBadge), or clears it for 0 (clearAppBadge). Where the
// API is missing (Firefox, Safari tabs) it does nothing; a browser shows
// the badge only for an installed app, and a refusal (the promise
// rejects) is ignored.
func setAppBadge(n int) {
	if !app.IsClient {
		return
	}
	defer func() { _ = recover() }() // a throwing API must not take the page down
	nav := app.Window().Get("navigator")
	method, args := "clearAppBadge", []any(nil)
	if n > 0 {
		method, args = "setAppBadge", []any{n}
	}
	if nav.Get(method).Type() != app.TypeFunction {
		return
	}
	if p := nav.Call(method, args...); p.Truthy() && p.Get("then").Type() == app.TypeFunction {
		ignore := func(app.Value) {}
		settle(p, ignore, ignore)
	}
}
