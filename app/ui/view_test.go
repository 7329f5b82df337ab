package ui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

var (
	ada = protocol.User{ID: "u-ada", Name: "Ada"}
	bob = protocol.User{ID: "u-bob", Name: "Bob"}
)

func TestBuildPosts(t *testing.T) {
	f := session.Feed{Name: "main", Pos: 9, Synced: true, Posts: []protocol.Post{
		{ID: "p1", Feed: "main", Author: ada, Text: "first", Created: 1},
		{ID: "p2", Feed: "main", Author: bob, Text: "second", Created: 2,
			Reactions: []protocol.Reaction{{Emoji: "👍", Users: []protocol.User{ada, bob}}}},
		{ID: "p3", Feed: "main", Author: ada, Text: "third", Created: 3},
		{ID: "p4", Feed: "main", Author: bob, Text: "held", Created: 4},
	}}
	act := func(typ string, a protocol.Action, acked uint64) session.Pending {
		a.Feed = "main"
		return session.Pending{Type: typ, Action: a.WithKind(typ), Created: 10, AckedPos: acked}
	}
	pending := []session.Pending{
		act(protocol.TypePost, protocol.Action{Op: "o1", Text: "queued"}, 0),
		act(protocol.TypePost, protocol.Action{Op: "o2", Text: "acked"}, 12),
		act(protocol.TypeEdit, protocol.Action{Op: "o3", ID: "p1", Text: "first!"}, 0),
		act(protocol.TypeDelete, protocol.Action{Op: "o4", ID: "p3"}, 0),
		act(protocol.TypeReact, protocol.Action{Op: "o5", ID: "p2", Emoji: "👍"}, 0),
		act(protocol.TypeReact, protocol.Action{Op: "o6", ID: "p2", Emoji: "🎉"}, 0),
		{Type: protocol.TypePost, Action: protocol.Action{Op: "o7", Feed: "other", Text: "elsewhere"}},
	}
	got := buildPosts(f, pending, ada, func(id string) bool { return id == "p4" }, nil)
	var texts []string
	for _, v := range got {
		texts = append(texts, v.Text)
	}
	if strings.Join(texts, "|") != "acked|queued|second|first!" {
		t.Fatalf("order: %q", texts)
	}
	if !got[1].Sending || got[0].Sending || !got[1].Own {
		t.Errorf("sending flags: %+v %+v", got[0], got[1])
	}
	if !got[3].Saving || !got[3].Own || got[2].Own {
		t.Errorf("edit/own: %+v", got[3])
	}
	// Only the reactions the post has are shown (the others are in the
	// picker): 👍 (Bob's, Ada's taken back) and 🎉 (Ada's, pending).
	r := got[2].Reactions
	if len(r) != 2 {
		t.Fatalf("reactions shown: %+v", r)
	}
	if r[0].Emoji != "👍" || r[0].Count != 1 || r[0].Mine || !r[0].Pending || strings.Join(r[0].Names, ",") != "Bob" {
		t.Errorf("👍 after un-react: %+v", r[0])
	}
	if x := r[1]; x.Emoji != "🎉" || x.Count != 1 || !x.Mine || strings.Join(x.Names, ",") != "You" {
		t.Errorf("🎉: %+v", x)
	}
	if len(got[3].Reactions) != 0 || len(got[1].Reactions) != 0 {
		t.Errorf("posts without reactions show some: %+v %+v", got[3].Reactions, got[1].Reactions)
	}
}

func TestPostCardRendersTextNotHTML(t *testing.T) {
	evil := `<img src=x onerror="alert(1)"><script>alert(2)</script>`
	v := postView{ID: "p1", Author: evil, AuthorID: "u1", Text: evil, Created: time.Now().UnixMilli(),
		Reactions: reactionViews([]protocol.Reaction{{Emoji: "❤️", Users: []protocol.User{ada}}, {Emoji: "👍", Users: []protocol.User{bob}}}, ada, nil)}
	html := app.HTMLString(newPostCard(nil, v, "just now", false, false, ""))
	if strings.Contains(html, "<img") || strings.Contains(html, "<script") {
		t.Fatalf("markup leaked:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("text not escaped:\n%s", html)
	}
	// Direction follows the text; the name is isolated; the exact time
	// is on hover.
	if !strings.Contains(html, `dir="auto"`) || !strings.Contains(html, `<bdi class="post-author"`) || !strings.Contains(html, `title="`) {
		t.Errorf("dir=auto, bdi or time title missing:\n%s", html)
	}
	// The encoder writes a "true" attribute as a bare name.
	bare := strings.Contains(html, `aria-pressed>`) || strings.Contains(html, `aria-pressed `)
	if !bare || !strings.Contains(html, `aria-pressed="false"`) {
		t.Errorf("aria-pressed missing:\n%s", html)
	}
	if strings.Contains(html, ">Edit<") {
		t.Errorf("someone else's post has Edit")
	}
	v.Own = true
	html = app.HTMLString(newPostCard(nil, v, "just now", false, false, ""))
	if !strings.Contains(html, ">Edit<") || !strings.Contains(html, ">Delete<") {
		t.Errorf("own post lacks Edit/Delete:\n%s", html)
	}
	v.ID, v.Sending = "", true
	html = app.HTMLString(newPostCard(nil, v, "", false, false, ""))
	if !strings.Contains(html, "Sending…") || strings.Contains(html, ">Edit<") {
		t.Errorf("pending post:\n%s", html)
	}
}

func TestIndicatorAndPill(t *testing.T) {
	p := newFeedPage()
	p.now = time.Now()
	p.status = session.Status{State: session.StateReconnecting, NextTry: p.now.Add(3200 * time.Millisecond)}
	if v := p.indicator(); v.Label != "Reconnecting — retrying in 4 s" || !v.CanRetry {
		t.Errorf("reconnecting: %+v", v)
	}
	p.status.State = session.StateLive
	if v := p.indicator(); v.Label != "Live" {
		t.Errorf("live: %+v", v)
	}
	p.online = false
	if v := p.indicator(); !strings.HasPrefix(v.Label, "Offline") {
		t.Errorf("offline: %+v", v)
	}
	p.online, p.status.State = true, session.StateUpdateRequired
	if v := p.indicator(); !strings.HasPrefix(v.Label, "Update required") || !v.CanUpdate {
		t.Errorf("update: %+v", v)
	}
	if s := app.HTMLString(&newPostsPill{Count: 1}); !strings.Contains(s, "1 new post") || strings.Contains(s, "1 new posts") {
		t.Errorf("pill: %s", s)
	}
	if s := app.HTMLString(&newPostsPill{Count: 3}); !strings.Contains(s, "3 new posts") {
		t.Errorf("pill: %s", s)
	}
}

func TestFeedFromPath(t *testing.T) {
	for path, want := range map[string]string{"/": "main", "/f/dev": "dev", "/f/x_y-1": "x_y-1", "/f/": "", "/f/A": "", "/x": ""} {
		got, ok := FeedFromPath(path)
		if got != want || ok != (want != "") {
			t.Errorf("FeedFromPath(%q) = %q, %v", path, got, ok)
		}
	}
}

func TestRelTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		10 * time.Second: "just now", 5 * time.Minute: "5 min ago", 3 * time.Hour: "3 h ago",
		30 * time.Hour: "yesterday", 72 * time.Hour: "May 29",
	} {
		if got := relTime(now.Add(-d).UnixMilli(), now); got != want {
			t.Errorf("relTime(-%v) = %q, want %q", d, got, want)
		}
	}
}

// Relative times at their edges: "just now" becomes "1 min ago" at 45 s.
func TestRelTimeEdges(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "just now"}, {44 * time.Second, "just now"}, {45 * time.Second, "1 min ago"},
		{89 * time.Second, "1 min ago"}, {90 * time.Second, "2 min ago"}, {59*time.Minute + 29*time.Second, "59 min ago"},
		{59*time.Minute + 30*time.Second, "59 min ago"}, {time.Hour - time.Millisecond, "59 min ago"},
		{time.Hour, "1 h ago"}, {24*time.Hour - time.Second, "23 h ago"}, {24 * time.Hour, "yesterday"},
		{48 * time.Hour, "May 30"}, {400 * 24 * time.Hour, "Apr 27, 2024"},
	} {
		if got := relTime(now.Add(-c.ago).UnixMilli(), now); got != c.want {
			t.Errorf("relTime(-%v) = %q, want %q", c.ago, got, c.want)
		}
	}
}

// clockHarness mounts a post list on a clock the test moves, as the page
// does every 15 s (feedPage.tick passes p.now.Unix()/15).
type clockHarness struct {
	app.Compo

	Posts []postView
	Clock int64
	ctx   app.Context
}

func (h *clockHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }
func (h *clockHarness) Render() app.UI {
	return &postList{Actor: &recordingActor{}, Posts: h.Posts, Clock: h.Clock, AtTop: true, History: historyState{Begins: true}}
}

// The time of a card follows the page's clock: "just now" turns into
// "1 min ago" when the clock passes 45 s, with no other change.
func TestRelativeTimesFollowTheClock(t *testing.T) {
	const clock = 1_000_000 // 15 s steps
	created := time.Unix(clock*15, 0).UnixMilli()
	p := testPost("p1", "hello", false, false)
	p.Created = created
	h := &clockHarness{Posts: []postView{p}, Clock: clock}
	e := mount(t, h)
	timeText := func() string {
		var s string
		walkNodes(reflect.ValueOf(h), func(n mountedNode) {
			if field(n.el, "tag").String() == "time" {
				s = textOf(n.el)
			}
		})
		return s
	}
	for _, step := range []struct {
		clock int64
		want  string
	}{{clock, "just now"}, {clock + 2, "just now"}, {clock + 3, "1 min ago"}, {clock + 8, "2 min ago"}} {
		h.ctx.Dispatch(func(app.Context) { h.Clock = step.clock })
		e.ConsumeAll()
		if got := timeText(); got != step.want {
			t.Errorf("%d s after: %q, want %q", (step.clock-clock)*15, got, step.want)
		}
	}
}
