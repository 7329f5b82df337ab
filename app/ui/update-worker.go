package ui

import (
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The browser side of the update check (update-check.go): what the page's
// service worker holds, and the tab's memory of its last "Update".

// workerState is what the page's service worker holds.
type workerState struct {
	// Worker: the page has a service worker registration (false: the
	// browser has no service workers, they are blocked, or registering
	// failed).
	Worker bool
	// Installing: a worker is being installed or activated; the app
	// cache is not final yet.
	Installing bool
	// Active is the app version the active worker serves, from the name
	// of its cache (appCachePrefix + version), "" when unknown.
	Active string
}

// appCachePrefix starts the name of the service worker's cache of one app
// version, "app-" + version (ServiceWorkerJS; its activate step deletes
// the caches of other versions, so once no worker is installing the one
// cache left is the active worker's).
const appCachePrefix = "app-"

// activeVersion returns the app version of the one app cache among the
// cache names keys, or "" if there is none or more than one.
func activeVersion(keys []string) string {
	v, n := "", 0
	for _, k := range keys {
		if s, ok := strings.CutPrefix(k, appCachePrefix); ok && s != "" {
			v, n = s, n+1
		}
	}
	if n != 1 {
		return ""
	}
	return v
}

// lookWorker finds out what the page's service worker holds and calls
// report, from the JavaScript event loop (report must only dispatch).
// With update set it first asks the browser to fetch the worker script
// again (registration.update(): a changed script is a new version, which
// the browser installs and activates). While a worker is installing it
// reports that, then looks again whenever that worker's state changes, so
// report learns of the version once it is active.
func lookWorker(update bool, report func(workerState)) {
	if !app.IsClient {
		return
	}
	sw := app.Window().Get("navigator").Get("serviceWorker")
	if !sw.Truthy() {
		report(workerState{})
		return
	}
	settle(sw.Call("getRegistration"), func(reg app.Value) {
		if !reg.Truthy() {
			report(workerState{})
			return
		}
		if !update {
			inspectWorker(reg, report)
			return
		}
		// A failed fetch (offline, server down) still reports what is
		// there.
		then := func(app.Value) { inspectWorker(reg, report) }
		settle(reg.Call("update"), then, then)
	}, func(app.Value) { report(workerState{}) })
}

// inspectWorker reports what registration reg holds (see lookWorker).
func inspectWorker(reg app.Value, report func(workerState)) {
	busy := reg.Get("installing")
	if !busy.Truthy() {
		busy = reg.Get("waiting")
	}
	if !busy.Truthy() {
		if a := reg.Get("active"); a.Truthy() && a.Get("state").String() != "activated" {
			busy = a // activating: still deleting the old caches
		}
	}
	if busy.Truthy() {
		report(workerState{Worker: true, Installing: true})
		once(busy, "statechange", func() { inspectWorker(reg, report) })
		return
	}
	caches := app.Window().Get("caches")
	if !caches.Truthy() {
		report(workerState{Worker: true})
		return
	}
	settle(caches.Call("keys"), func(keys app.Value) {
		var names []string
		for i := range keys.Length() {
			names = append(names, keys.Index(i).String())
		}
		report(workerState{Worker: true, Active: activeVersion(names)})
	}, func(app.Value) { report(workerState{Worker: true}) })
}

// settle calls ok with the value of promise p, or fail with its error.
func settle(p app.Value, ok, fail func(app.Value)) {
	var okFn, failFn app.Func
	call := func(f func(app.Value)) func(app.Value, []app.Value) any {
		return func(_ app.Value, args []app.Value) any {
			okFn.Release()
			failFn.Release()
			var v app.Value = app.Undefined()
			if len(args) > 0 {
				v = args[0]
			}
			f(v)
			return nil
		}
	}
	okFn, failFn = app.FuncOf(call(ok)), app.FuncOf(call(fail))
	p.Call("then", okFn, failFn)
}

// once calls f the next time target fires event.
func once(target app.Value, event string, f func()) {
	var fn app.Func
	fn = app.FuncOf(func(app.Value, []app.Value) any {
		fn.Release()
		f()
		return nil
	})
	target.Call("addEventListener", event, fn, map[string]any{"once": true})
}

// keyUpdateTry holds the tab's last "Update" (JSON updateTry) in
// sessionStorage: it survives the reload, and belongs to this tab only.
const keyUpdateTry = "livefeed:update-try"

func loadUpdateTry() (t updateTry) {
	defer func() {
		if recover() != nil {
			t = updateTry{}
		}
	}()
	if !app.IsClient {
		return updateTry{}
	}
	ss := app.Window().Get("sessionStorage")
	if !ss.Truthy() {
		return updateTry{}
	}
	v := ss.Call("getItem", keyUpdateTry)
	if v.IsNull() || v.IsUndefined() || json.Unmarshal([]byte(v.String()), &t) != nil {
		return updateTry{}
	}
	return t
}

// saveUpdateTry stores t (the zero value removes it). Without
// sessionStorage nothing is kept: the offer may then come back after a
// reload that did not bring the new version, but only on a click.
func saveUpdateTry(t updateTry) {
	defer func() { _ = recover() }()
	if !app.IsClient {
		return
	}
	ss := app.Window().Get("sessionStorage")
	if !ss.Truthy() {
		return
	}
	if t == (updateTry{}) {
		ss.Call("removeItem", keyUpdateTry)
		return
	}
	if b, err := json.Marshal(t); err == nil {
		ss.Call("setItem", keyUpdateTry, string(b))
	}
}
