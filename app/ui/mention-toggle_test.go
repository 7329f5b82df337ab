package ui

import (
	"testing"

	"livefeed/shared/protocol"
)

func TestMentionToggle(t *testing.T) {
	tests := []struct {
		name        string
		chosen      bool
		perm        string // the browser's permission at the click
		ask, change bool
		wantOn      bool
		wantHint    string
	}{
		{"first click: ask", false, "default", true, false, false, ""},
		{"already allowed: on", false, "granted", false, true, true, ""},
		{"on: off", true, "granted", false, true, false, ""},
		{"blocked: say so", false, "denied", false, false, false, blockedHint},
		{"chosen but revoked to ask: ask again", true, "default", true, false, false, ""},
		{"chosen but blocked since: say so", true, "denied", false, false, false, blockedHint},
		{"no notifications: nothing", false, "", false, false, false, ""},
	}
	for _, tt := range tests {
		m := mentionState{available: true, chosen: tt.chosen, permission: "granted", hint: "old"}
		ask, change := m.toggle(tt.perm)
		if ask != tt.ask || change != tt.change || m.on() != tt.wantOn || m.hint != tt.wantHint {
			t.Errorf("%s: ask %v, changed %v, on %v, hint %q; want %v, %v, %v, %q",
				tt.name, ask, change, m.on(), m.hint, tt.ask, tt.change, tt.wantOn, tt.wantHint)
		}
	}
}

func TestMentionPermissionAnswered(t *testing.T) {
	tests := []struct {
		perm   string
		change bool
		on     bool
		hint   string
	}{
		{"granted", true, true, ""},
		{"denied", false, false, blockedHint},
		{"default", false, false, ""}, // the prompt was dismissed
	}
	for _, tt := range tests {
		m := mentionState{available: true, permission: "default"}
		change := m.answered(tt.perm)
		if change != tt.change || m.on() != tt.on || m.hint != tt.hint {
			t.Errorf("answered(%q): changed %v, on %v, hint %q; want %v, %v, %q", tt.perm, change, m.on(), m.hint, tt.change, tt.on, tt.hint)
		}
	}
	// Notifications the browser lacks are never on.
	if (mentionState{chosen: true, permission: "granted"}).on() {
		t.Error("on without notifications")
	}
}

func TestNoteFor(t *testing.T) {
	post := protocol.Post{ID: "p7", Author: protocol.User{ID: "u-b", Name: "Bob"}, Text: "@Ada look"}
	tests := []struct {
		feed string
		want mentionNote
	}{
		{protocol.DefaultFeed, mentionNote{Title: "Bob mentioned you", Body: "@Ada look", Tag: "livefeed-mention:main:p7"}},
		{"team", mentionNote{Title: "Bob mentioned you in #team", Body: "@Ada look", Tag: "livefeed-mention:team:p7"}},
	}
	for _, tt := range tests {
		if got := noteFor(post, tt.feed); got != tt.want {
			t.Errorf("noteFor(%q) = %+v, want %+v", tt.feed, got, tt.want)
		}
	}
}
