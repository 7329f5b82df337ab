package ui

import "testing"

func TestTabTitle(t *testing.T) {
	tests := []struct {
		feed   string
		unseen int
		want   string
	}{
		{"main", 0, "Livefeed"},
		{"main", -1, "Livefeed"},
		{"main", 1, "(1) Livefeed"},
		{"main", 2, "(2) Livefeed"},
		{"team", 0, "#team · Livefeed"},
		{"team", 7, "(7) #team · Livefeed"},
		// The cap, at its edge.
		{"main", titleCountCap, "(99) Livefeed"},
		{"main", titleCountCap + 1, "(99+) Livefeed"},
		{"team", 5000, "(99+) #team · Livefeed"},
	}
	for _, tt := range tests {
		if got := tabTitle(tt.feed, tt.unseen); got != tt.want {
			t.Errorf("tabTitle(%q, %d) = %q, want %q", tt.feed, tt.unseen, got, tt.want)
		}
	}
}
