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
	html := app.HTMLString(&connectionIndicator{Actor: p, View: p.indicator()})
	for _, want := range []string{
		`aria-expanded="true"`, `aria-controls="connection-details"`, `aria-label="Connection details"`,
		`id="connection-details"`, `data-k="reconnects"`, `data-k="last-error"`, ">Last catch-up<", `role="status"`,
	} {
		if !strings.Contains(html, want) && !strings.Contains(html, strings.ReplaceAll(want, `="true"`, "")) {
			t.Errorf("open panel lacks %s:\n%s", want, html)
		}
	}
	p.detailsOpen = false
	html = app.HTMLString(&connectionIndicator{Actor: p, View: p.indicator()})
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

// TestConnectionDetailsFoldDeveloperTerms: plain words first; the
// session's counters, the raw error and the log position under
// "Technical details".
func TestConnectionDetailsFoldDeveloperTerms(t *testing.T) {
	p := newFeedPage()
	p.now = time.Now()
	p.setStatus(session.Status{State: session.StateReconnecting, Attempt: 2, NextTry: p.now.Add(5 * time.Second),
		LastError: "session: dial: failed to WebSocket dial: connection refused"}, p.now)
	p.detailsOpen = true
	v := p.diagnostics()
	if v.Problem != "Livefeed could not be reached." || !strings.HasPrefix(v.Summary, "The connection dropped.") {
		t.Errorf("plain words: %q / %q", v.Problem, v.Summary)
	}
	html := app.HTMLString(&connectionDetails{Actor: p, View: v})
	fold := strings.Index(html, ">Technical details<")
	if fold < 0 || !strings.Contains(html, `class="diag-tech"`) || !strings.Contains(html, "<summary") {
		t.Fatalf("no fold:\n%s", html)
	}
	for _, k := range []string{"summary", "state", "next-try", "problem", "browser", "pending", "cached"} {
		if i := strings.Index(html, `data-k="`+k+`"`); i < 0 || i > fold {
			t.Errorf("%s is not above the fold", k)
		}
	}
	for _, k := range []string{"attempt", "last-error", "feed", "position", "connects", "reconnects", "replayed", "duplicates", "gaps", "catch-up"} {
		if i := strings.Index(html, `data-k="`+k+`"`); i < fold {
			t.Errorf("%s is not in the fold", k)
		}
	}
	if !strings.Contains(html, "connection refused") {
		t.Error("the raw error is gone")
	}
	// The page keeps the fold open across redraws of the panel.
	p.techOpen = true
	html = app.HTMLString(&connectionDetails{Actor: p, View: p.diagnostics()})
	tag := html[strings.Index(html, "<details"):]
	if tag = tag[:strings.Index(tag, ">")]; !strings.Contains(tag, " open") {
		t.Errorf("the fold is not open: %s", tag)
	}
	for st, want := range map[session.State]string{
		session.StateLive: "Connected.", session.StateConnecting: "Connecting", session.StateOffline: "Your device is offline.",
		session.StateUpdateRequired: "This version of Livefeed is too old",
	} {
		if got := connectionSummary(st, true); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q", st, got)
		}
	}
	if got := connectionSummary(session.StateLive, false); !strings.HasPrefix(got, "Your device is offline.") {
		t.Errorf("browser offline: %q", got)
	}
}
