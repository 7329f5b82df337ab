package ui

import (
	"testing"
	"time"

	"livefeed/app/session"
)

func TestIndicatorView(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	reconnecting := func(in time.Duration) session.Status {
		return session.Status{State: session.StateReconnecting, NextTry: now.Add(in)}
	}
	for _, c := range []struct {
		name    string
		st      session.Status
		online  bool
		pending int
		kind    string
		label   string
		hint    string
		retry   bool
		update  bool
	}{
		{"connecting", session.Status{}, true, 0, "connecting", "Connecting…", "", false, false},
		{"live", session.Status{State: session.StateLive}, true, 0, "live", "Live", "", false, false},
		{"update", session.Status{State: session.StateUpdateRequired}, false, 2, "update", "Update required",
			"This version of Livefeed is too old for the server.", false, true},
		{"offline, nothing pending", session.Status{State: session.StateLive}, false, 0, "offline", "Offline",
			"Showing saved posts; you can keep writing", false, false},
		{"session offline, pending", session.Status{State: session.StateOffline}, true, 2, "offline", "Offline",
			"2 changes will be sent when you're back online", false, false},
		{"reconnecting, countdown", reconnecting(3200 * time.Millisecond), true, 0, "reconnecting",
			"Reconnecting — retrying in 4 s", "", true, false},
		// The countdown shows only when the next try is more than 500 ms away.
		{"reconnecting, 501 ms", reconnecting(501 * time.Millisecond), true, 0, "reconnecting",
			"Reconnecting — retrying in 1 s", "", true, false},
		{"reconnecting, 500 ms", reconnecting(500 * time.Millisecond), true, 0, "reconnecting", "Reconnecting…", "", true, false},
		{"reconnecting, no try planned", session.Status{State: session.StateReconnecting}, true, 0, "reconnecting",
			"Reconnecting…", "", true, false},
	} {
		v := indicatorView(c.st, c.online, c.pending, now)
		if v.Kind != c.kind || v.Label != c.label || v.Hint != c.hint || v.CanRetry != c.retry || v.CanUpdate != c.update || v.Pending != c.pending {
			t.Errorf("%s: %+v", c.name, v)
		}
	}
}

func TestIndicatorCarriesDetails(t *testing.T) {
	p := newFeedPage()
	p.feed = "team"
	if v := p.indicator(); v.DetailsOpen || v.Details.Feed != "" {
		t.Errorf("closed: %+v", v)
	}
	p.detailsOpen = true
	if v := p.indicator(); !v.DetailsOpen || v.Details.Feed != "#team" {
		t.Errorf("open: %+v", v)
	}
}
