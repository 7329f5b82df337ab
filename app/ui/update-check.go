package ui

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
)

// How an open tab learns that a new version is deployed, and offers it
// (docs/operations.md, "New versions reach open tabs"):
//
//   - it looks for a new version when the server it connects to says, in
//     welcome, that it serves another app version; when the page becomes
//     visible; every UpdateCheckInterval; when the server refuses its
//     protocol version; and when go-app reports a new service worker;
//   - looking asks the service worker registration to fetch the worker
//     script again (registration.update()): the script names its version,
//     so a new version is a new worker, which the browser installs (it
//     caches the new app) and activates;
//   - the banner shows once the version the next load would run differs
//     from the running one: with a service worker, the version of the
//     worker's app cache once no worker is installing (a reload is served
//     from that cache); without one, the server's version (a reload comes
//     from the network). "Update" reloads; the outbox is in localStorage,
//     so pending actions survive and are sent by the new version;
//   - no loop: a tab remembers (sessionStorage) the version its last
//     "Update" went for; if the reload brought the same old version back,
//     that offer is not made again in this tab.

// UpdateCheckInterval is how often an open tab looks for a new version
// when nothing else made it look (a check for any reason starts the period
// again). A deployment reaches tabs connected to it at their next welcome;
// this bounds the time for the others (a tab whose connection stays up,
// or a server that does not say its version).
const UpdateCheckInterval = 10 * time.Minute

// updateTry is what the banner's last "Update" in this tab went for: the
// version it ran and the one the reload was expected to load.
type updateTry struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// updateFacts is what the update decision goes by.
type updateFacts struct {
	// Running is this page's app version (go-app's GOAPP_VERSION); ""
	// when unknown.
	Running string
	// Server is the app version the server said in its last welcome (""
	// if it did not say).
	Server string
	// Looked: lookWorker has reported what the service worker holds
	// (before that, Worker false means "not known yet").
	Looked bool
	workerState
	// Notified: go-app reported a newly activated service worker
	// (OnAppUpdate).
	Notified bool
	// Tried is the last "Update" of this tab (zero: none).
	Tried updateTry
}

// decideUpdate reports whether to offer an update and which version a
// reload is expected to load ("" when only go-app's notice says that one
// is there).
func decideUpdate(f updateFacts) (show bool, target string) {
	if f.Running == "" {
		return f.Notified, "" // not started by go-app's loader: its notice only
	}
	switch {
	case !f.Looked, f.Worker && f.Installing:
		return false, "" // wait for the worker to settle
	case f.Worker && f.Active != "":
		target = f.Active
	case f.Worker:
		return f.Notified, "" // its cache says nothing: go-app's notice only
	default:
		target = f.Server // no worker: a reload loads the server's version
	}
	if target == "" || target == f.Running {
		return false, ""
	}
	if f.Tried == (updateTry{From: f.Running, To: target}) {
		return false, target // a reload went for it and brought this version back
	}
	return true, target
}

// lookOnWelcome reports whether a welcome from a server of app version
// server should make the tab look for a new version.
func lookOnWelcome(f updateFacts, server string) bool {
	return server != "" && f.Running != "" && server != f.Running
}

// updateWatch is a page's update check; its methods run on the UI
// goroutine.
type updateWatch struct {
	facts   updateFacts
	welcome welcomeSeen // the last welcome looked at
	timer   *time.Timer // the next periodic check
	visible app.Func    // the visibilitychange listener
	blocked bool        // the no-loop rule held an offer back (logged once)
}

// welcomeSeen identifies a welcome in the session's status.
type welcomeSeen struct {
	connects int
	version  string
}

// watchUpdates starts the page's update checks (OnMount).
func (p *feedPage) watchUpdates(ctx app.Context) {
	w := &updateWatch{facts: updateFacts{
		Running:  app.Getenv("GOAPP_VERSION"),
		Notified: ctx.AppUpdateAvailable(),
		Tried:    loadUpdateTry(),
	}}
	if w.facts.Tried.From != "" && w.facts.Tried.From != w.facts.Running {
		saveUpdateTry(updateTry{}) // that update worked
		w.facts.Tried = updateTry{}
	}
	p.updates = w
	doc := app.Window().Get("document")
	w.visible = app.FuncOf(func(app.Value, []app.Value) any {
		if doc.Get("visibilityState").String() == "visible" {
			ctx.Dispatch(p.checkForUpdate)
		}
		return nil
	})
	doc.Call("addEventListener", "visibilitychange", w.visible)
	w.timer = time.AfterFunc(UpdateCheckInterval, func() { ctx.Dispatch(p.checkForUpdate) })
	// A worker the browser found when it loaded this page (it looks on
	// every navigation) may be installing or already active: go-app
	// misses one that was found before its listener was in place.
	lookWorker(false, p.workerReporter(ctx))
}

// unwatchUpdates stops the page's update checks (OnDismount).
func (p *feedPage) unwatchUpdates() {
	w := p.updates
	if w == nil {
		return
	}
	p.updates = nil
	w.timer.Stop()
	app.Window().Get("document").Call("removeEventListener", "visibilitychange", w.visible)
	w.visible.Release()
}

// checkForUpdate looks for a new version now, and again in
// UpdateCheckInterval.
func (p *feedPage) checkForUpdate(ctx app.Context) {
	w := p.updates
	if w == nil {
		return
	}
	w.timer.Reset(UpdateCheckInterval)
	lookWorker(true, p.workerReporter(ctx))
}

// appUpdated takes go-app's notice of a newly activated worker
// (OnAppUpdate).
func (p *feedPage) appUpdated(ctx app.Context) {
	if w := p.updates; w != nil {
		w.facts.Notified = ctx.AppUpdateAvailable()
		lookWorker(false, p.workerReporter(ctx))
	}
}

// updateOnStatus looks for a new version when the session's status calls
// for it: a server that refuses this protocol version, or a welcome from a
// server of another app version. prev is the previous state.
func (p *feedPage) updateOnStatus(ctx app.Context, prev session.State) {
	w := p.updates
	if w == nil {
		return
	}
	st := p.status
	if st.State == session.StateUpdateRequired && prev != session.StateUpdateRequired {
		p.checkForUpdate(ctx)
		return
	}
	seen := welcomeSeen{connects: st.Stats.Connects, version: st.AppVersion}
	if seen == w.welcome || st.Stats.Connects == 0 {
		return
	}
	w.welcome = seen
	w.facts.Server = st.AppVersion
	if lookOnWelcome(w.facts, st.AppVersion) {
		p.checkForUpdate(ctx)
		return
	}
	p.offerUpdate()
}

// workerReporter returns the function lookWorker reports to: it hops to
// the UI goroutine.
func (p *feedPage) workerReporter(ctx app.Context) func(workerState) {
	return func(st workerState) {
		ctx.Dispatch(func(ctx app.Context) {
			if w := p.updates; w != nil {
				w.facts.Looked, w.facts.workerState = true, st
				p.offerUpdate()
			}
		})
	}
}

// offerUpdate shows the banner when decideUpdate says so (once shown, it
// stays until the reload).
func (p *feedPage) offerUpdate() {
	w := p.updates
	show, target := decideUpdate(w.facts)
	if show {
		p.updateAvailable = true
		return
	}
	if target != "" && !w.blocked {
		w.blocked = true
		app.Log("livefeed: version " + target + " is on offer again after a reload that kept " + w.facts.Running + "; not offering it again in this tab")
	}
}

// applyUpdate loads the new version (the banner's "Update"). The outbox is
// already stored; deletes still in their undo window go into it when the
// page hides.
func (p *feedPage) applyUpdate(ctx app.Context) {
	if w := p.updates; w != nil {
		if _, target := decideUpdate(w.facts); target != "" {
			saveUpdateTry(updateTry{From: w.facts.Running, To: target})
		}
	}
	ctx.Reload()
}
