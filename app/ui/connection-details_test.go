package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
)

func TestDiagnostics(t *testing.T) {
	p := newFeedPage()
	p.feed = "team"
	p.now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.Local)
	p.feedPos, p.feedSynced, p.cachedN, p.pendingN = 42, true, 7, 2

	// Reconnecting: attempt, countdown and error; the error is kept after
	// the session clears it on reconnecting.
	p.setStatus(session.Status{
		State: session.StateReconnecting, Attempt: 3, NextTry: p.now.Add(3200 * time.Millisecond),
		LastError: "session: dial: refused",
		Stats:     session.Stats{Connects: 2, Reconnects: 1, Resumes: 1, Replayed: 5, LastCatchUp: 1500 * time.Millisecond},
	}, p.now)
	v := p.diagnostics()
	if v.State != "Reconnecting" || v.Attempt != "3" || v.NextTry != "in 4 s · 12:00:03" {
		t.Errorf("reconnecting: %+v", v)
	}
	if v.NextTryMS != p.now.Add(3200*time.Millisecond).UnixMilli() {
		t.Errorf("next try ms: %d", v.NextTryMS)
	}
	if v.LastError != "session: dial: refused" || v.ErrorAt != "12:00:00" {
		t.Errorf("error: %q at %q", v.LastError, v.ErrorAt)
	}
	if v.Feed != "#team" || v.Position != "42" || v.Cached != "7" || v.Pending != "2" {
		t.Errorf("feed: %+v", v)
	}
	stats := map[string]string{}
	for _, s := range v.Stats {
		stats[s.Key] = s.Value
	}
	want := map[string]string{"connects": "2", "reconnects": "1", "resumes": "1", "history-gone": "0",
		"replayed": "5", "duplicates": "0", "gaps": "0", "catch-up": "1.5 s"}
	for k, w := range want {
		if stats[k] != w {
			t.Errorf("stat %s = %q, want %q", k, stats[k], w)
		}
	}

	later := p.now.Add(time.Minute)
	p.setStatus(session.Status{State: session.StateLive, Attempt: 3}, later)
	v = p.diagnostics()
	if v.State != "Live" || v.Attempt != "—" || v.NextTry != "—" || v.NextTryMS != 0 {
		t.Errorf("live: %+v", v)
	}
	if v.LastError != "session: dial: refused" || v.ErrorAt != "12:00:00" {
		t.Errorf("error forgotten after reconnecting: %q at %q", v.LastError, v.ErrorAt)
	}
	p.online = false
	if v := p.diagnostics(); !strings.HasPrefix(v.Browser, "Offline") {
		t.Errorf("browser: %q", v.Browser)
	}

	fresh := newFeedPage()
	if v := fresh.diagnostics(); v.LastError != "None" || v.Position != "Not synced yet" || v.State != "Connecting" {
		t.Errorf("fresh: %+v", v)
	}
}

func TestConnectionDetailsRender(t *testing.T) {
	p := newFeedPage()
	p.now = time.Now()
	p.setStatus(session.Status{State: session.StateLive, Stats: session.Stats{Connects: 1}}, p.now)
	p.detailsOpen = true
	html := app.HTMLString(newConnectionIndicator(p, p.indicator()))
	for _, want := range []string{
		`aria-expanded="true"`, `aria-controls="connection-details"`, `aria-label="Connection details"`,
		`id="connection-details"`, `data-k="reconnects"`, `data-k="last-error"`, ">Last catch-up<", `role="status"`,
	} {
		if !strings.Contains(html, want) && !strings.Contains(html, strings.ReplaceAll(want, `="true"`, "")) {
			t.Errorf("open panel lacks %s:\n%s", want, html)
		}
	}
	p.detailsOpen = false
	html = app.HTMLString(newConnectionIndicator(p, p.indicator()))
	if strings.Contains(html, `id="connection-details"`) || !strings.Contains(html, `aria-expanded="false"`) {
		t.Errorf("closed panel:\n%s", html)
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Microsecond: "<1 ms", 14 * time.Millisecond: "14 ms", 1340 * time.Millisecond: "1.3 s", 3 * time.Minute: "3 min",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
