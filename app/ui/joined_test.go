package ui

import (
	"fmt"
	"strings"
	"testing"
)

func TestJoinedFeedsAddAtTheLimit(t *testing.T) {
	var j joinedFeeds
	for i := range MaxJoinedFeeds {
		if err := j.add(fmt.Sprint("f", i)); err != nil {
			t.Fatalf("feed %d: %v", i+1, err)
		}
	}
	if err := j.add("f0"); err != nil {
		t.Errorf("a feed already listed, at the limit: %v", err)
	}
	if err := j.add("one-more"); err != errTooManyFeeds {
		t.Fatalf("feed %d: %v", MaxJoinedFeeds+1, err)
	}
	if !j.remove("f3") || j.remove("f3") {
		t.Fatal("remove")
	}
	if err := j.add("one-more"); err != nil || j.Feeds[len(j.Feeds)-1] != "one-more" {
		t.Fatalf("after leaving one: %v %v", err, j.Feeds)
	}
}

func TestJoinedFeedsRefusesBadNames(t *testing.T) {
	var j joinedFeeds
	for _, name := range []string{"", "Team", "a b", "-x", strings.Repeat("a", 33), "é"} {
		if err := j.add(name); err == nil || err.Error() != FeedNameRule {
			t.Errorf("%q: %v", name, err)
		}
	}
	if len(j.Feeds) != 0 {
		t.Fatal(j.Feeds)
	}
}

func TestJoinedFeedsReadOnlyMovesForward(t *testing.T) {
	var j joinedFeeds
	if _, ok := j.readPos("a"); ok {
		t.Fatal("never read")
	}
	if !j.read("a", 5) || j.read("a", 3) || j.read("a", 5) || !j.read("a", 9) {
		t.Fatal("read should move forward only")
	}
	if p, _ := j.readPos("a"); p != 9 {
		t.Fatal(p)
	}
}

func TestJoinedFeedsStoredAndLoaded(t *testing.T) {
	var j joinedFeeds
	j.add("main")
	j.add("team")
	j.read("team", 42)
	b := j.encode()
	got := loadJoined(func(string) ([]byte, bool) { return b, true })
	if fmt.Sprint(got.Feeds) != "[main team]" || got.Read["team"] != 42 {
		t.Fatalf("%+v", got)
	}
	// What another version or a person wrote by hand: bad names and too
	// many are left out.
	bad := `{"feeds":["ok","Bad Name","` + strings.Repeat("x", 40) + `"` + strings.Repeat(`,"f"`, 30) + `],"read":{"ok":3,"nope":1}}`
	got = loadJoined(func(string) ([]byte, bool) { return []byte(bad), true })
	if fmt.Sprint(got.Feeds) != "[ok f]" || got.Read["ok"] != 3 || len(got.Read) != 1 {
		t.Fatalf("%+v", got)
	}
	if got := loadJoined(func(string) ([]byte, bool) { return []byte("{"), true }); len(got.Feeds) != 0 {
		t.Fatal(got)
	}
}

func TestFeedItemLabelAndBadge(t *testing.T) {
	for _, c := range []struct {
		unread       int
		label, badge string
	}{
		{0, "#team", "0"},
		{1, "#team, 1 unread post", "1"},
		{maxBadge, "#team, 99 unread posts", "99"},
		{maxBadge + 1, "#team, 100 unread posts", "99+"},
	} {
		it := feedItem{Name: "team", Unread: c.unread}
		if it.label() != c.label || it.badge() != c.badge {
			t.Errorf("%d unread: %q %q", c.unread, it.label(), it.badge())
		}
	}
}
