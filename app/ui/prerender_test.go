//go:build !js

package ui

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"livefeed/shared/protocol"
)

// hostile are texts people may write as a post or a display name, each
// trying to leave the text or attribute it is put in.
var hostile = []string{
	`"><img src=x onerror=alert(1)>`,
	`'><svg onload=alert(2)>`,
	`</textarea><script>alert(3)</script>`,
	`<script>alert(4)</script>`,
	"back\\slash \\\" quote\\u0022",
	"bidi \u202eevil\u202c \u2066iso\u2069 zwj\u200d",
	"amp &amp; &#34; &lt;b&gt; &",
	"`tick` ${x} {{.Version}}",
	"see https://example.com/a\"onmouseover=\"alert(5) and https://example.com/q?a=1&b=<2>",
}

func hostileFirstPaint(n int) FirstPaintFunc {
	return func(r *http.Request, feed string, maxPosts, maxBytes int) (protocol.User, protocol.Snapshot, bool, bool) {
		if c, err := r.Cookie("s"); err != nil || c.Value != "ok" {
			return protocol.User{}, protocol.Snapshot{}, false, false
		}
		me := protocol.User{ID: "u-me", Name: hostile[0]}
		snap := protocol.Snapshot{Feed: feed, Pos: uint64(100 + n)}
		for i := range n {
			name := hostile[i%len(hostile)]
			author := protocol.User{ID: fmt.Sprintf("u-%d", i), Name: name, Handle: "h" + fmt.Sprint(i)}
			snap.Posts = append(snap.Posts, protocol.Post{
				ID: fmt.Sprintf("p%d", i), Feed: feed, Author: author,
				Text:    hostile[(i+1)%len(hostile)] + "\n" + hostile[(i+2)%len(hostile)],
				Created: 1_700_000_000_000, Pos: uint64(100 + n - i),
				Reactions: []protocol.Reaction{{Emoji: protocol.Reactions[0], Users: []protocol.User{author, me}}},
			})
		}
		return me, snap, false, true
	}
}

func parsePage(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walkHTML(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, f)
	}
}

func htmlAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// TestPrerenderXSS prerenders a feed page whose reader, authors, reactors
// and posts are hostile texts, parses it as a browser does and fails on
// any element or attribute they injected: the only scripts are go-app's
// two, the only images ours, no attribute is an event handler, and every
// hostile text reads back exactly where it was put (text, title,
// aria-label, href), not cut short by a quote it held.
func TestPrerenderXSS(t *testing.T) {
	h := NewHTTPHandler("test-1", WithFirstPaint(hostileFirstPaint(len(hostile))))
	w := get(t, h, "/f/xss", "Cookie", "s=ok")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	doc := parsePage(t, body)
	scripts, titles, labels, hrefs, texts := 0, map[string]bool{}, map[string]bool{}, map[string]bool{}, &strings.Builder{}
	walkHTML(doc, func(n *html.Node) {
		if n.Type == html.TextNode {
			texts.WriteString(n.Data)
			return
		}
		if n.Type != html.ElementNode {
			return
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has an event handler attribute %s=%q", n.Data, a.Key, a.Val)
			}
			switch a.Key {
			case "title":
				titles[a.Val] = true
			case "aria-label":
				labels[a.Val] = true
			case "href":
				hrefs[a.Val] = true
				if l := strings.ToLower(a.Val); !strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "http://") {
					t.Errorf("<%s href=%q>", n.Data, a.Val)
				}
			}
		}
		switch n.Data {
		case "script":
			scripts++
			src, _ := htmlAttr(n, "src")
			if (src != "/wasm_exec.js" && src != "/app.js") || n.FirstChild != nil {
				t.Errorf("injected script: src=%q", src)
			}
		case "img", "svg", "iframe", "object", "embed", "style", "base", "form", "meta", "link":
			if src, _ := htmlAttr(n, "src"); n.Data == "img" && !strings.HasPrefix(src, "/web/") {
				t.Errorf("injected <img src=%q>", src)
			}
			if n.Data == "svg" || n.Data == "iframe" || n.Data == "object" || n.Data == "embed" || n.Data == "base" {
				t.Errorf("injected <%s>", n.Data)
			}
		}
	})
	if scripts != 2 {
		t.Errorf("%d scripts, want go-app's 2", scripts)
	}
	for i, s := range hostile {
		// The author's name in the reaction's title, exactly.
		title := "You and " + strings.TrimSpace(s) + " reacted with " + protocol.Reactions[0]
		if !titles[title] {
			t.Errorf("name %d: no title %q in %v", i, title, titles)
		}
		if !strings.Contains(texts.String(), strings.TrimSpace(s)) && !strings.Contains(s, "https://") {
			t.Errorf("text %d (%q) does not read back", i, s)
		}
	}
	// Links end before a quote or an angle bracket (links.go); their & is
	// the URL's.
	for _, want := range []string{"https://example.com/a", "https://example.com/q?a=1&b="} {
		if !hrefs[want] {
			t.Errorf("no link to %q in %v", want, hrefs)
		}
	}
	if strings.Contains(body, firstPaintParam) {
		t.Errorf("the first paint's key is on the page")
	}
	// The state the app starts from is the one the page shows.
	var state string
	walkHTML(doc, func(n *html.Node) {
		if v, ok := htmlAttr(n, firstPaintAttr); ok {
			state = v
		}
	})
	fp, ok := decodeFirstPaint(state)
	if !ok || fp.User.Name != hostile[0] || len(fp.Snap.Posts) != len(hostile) || fp.Snap.Posts[3].Text != hostile[4]+"\n"+hostile[5] {
		t.Errorf("first paint state: %v %+v", ok, fp)
	}
}

// TestEscapeAttr checks that every character strconv.Quote would change,
// and HTML's own, come out as references that read back as the text.
func TestEscapeAttr(t *testing.T) {
	for _, s := range append(hostile, "\x00nul \x85c1 \xffbad \ttab\nnl", "ok plain ü 🎉") {
		e := escapeAttr(s)
		if q := fmt.Sprintf("%q", e); q != `"`+e+`"` {
			t.Errorf("strconv.Quote still changes %q: %s", e, q)
		}
		if strings.ContainsAny(e, "<>\"'`\\") {
			t.Errorf("%q left HTML syntax in %q", s, e)
		}
		doc := parsePage(t, `<p title="`+e+`">`)
		var got string
		walkHTML(doc, func(n *html.Node) {
			if v, ok := htmlAttr(n, "title"); ok {
				got = v
			}
		})
		want := strings.ToValidUTF8(s, "\uFFFD")
		want = strings.NewReplacer("\x00", "\uFFFD", "\u0085", "\uFFFD").Replace(want)
		if got != want {
			t.Errorf("%q reads back as %q, want %q", s, got, want)
		}
	}
}

// TestFirstPaintPage: a signed-in reader's feed page shows their feed
// (at most FirstPaintPosts posts, whatever the source gives) and is never
// stored; anyone else's is the page for no one, with no state; no page is
// answered 304 for go-app's version ETag.
func TestFirstPaintPage(t *testing.T) {
	h := NewHTTPHandler("test-1", WithFirstPaint(hostileFirstPaint(FirstPaintPosts+5)))
	w := get(t, h, "/f/main", "Cookie", "s=ok", "If-None-Match", "test-1")
	if w.Code != 200 {
		t.Fatalf("signed in, If-None-Match: %d", w.Code)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" || w.Header().Get("ETag") != "" || !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Cookie") {
		t.Errorf("headers of a reader's page: %v", w.Header())
	}
	doc := parsePage(t, w.Body.String())
	articles := 0
	walkHTML(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "article" {
			articles++
		}
	})
	if articles != FirstPaintPosts {
		t.Errorf("%d posts prerendered, want FirstPaintPosts (%d)", articles, FirstPaintPosts)
	}
	if !strings.Contains(w.Body.String(), "Write a post") {
		t.Errorf("no compose box")
	}
	var fp *firstPaint
	walkHTML(doc, func(n *html.Node) {
		if v, ok := htmlAttr(n, firstPaintAttr); ok {
			fp, _ = decodeFirstPaint(v)
		}
	})
	if fp == nil || len(fp.Snap.Posts) != FirstPaintPosts || fp.Begins {
		t.Errorf("state: %+v", fp)
	}

	// No cookie, a bad one, or a good one from a browser that signed out
	// without the server hearing of it (forget.go).
	for _, hdr := range [][]string{{}, {"Cookie", "s=bad"}, {"Cookie", "s=ok; " + SignOutPendingCookie + "=1"}} {
		w := get(t, h, "/f/main?"+firstPaintParam+"=guess", hdr...)
		body := w.Body.String()
		if w.Code != 200 || strings.Contains(body, firstPaintAttr) || strings.Contains(body, "<article") || strings.Contains(body, firstPaintParam) {
			t.Errorf("%v: a page for no one has a first paint:\n%s", hdr, body)
		}
		if w.Header().Get("Cache-Control") == "no-store" {
			t.Errorf("%v: a page for no one is not stored", hdr)
		}
	}
	if len(keys(&firstPaints)) != 0 {
		t.Errorf("first paints left behind: %v", keys(&firstPaints))
	}
}

func keys(m interface{ Range(func(k, v any) bool) }) []any {
	var out []any
	m.Range(func(k, v any) bool { out = append(out, k); return true })
	return out
}

// TestFirstPaintFeed: the app's view of the first paint is the session's
// (oldest first), and the page drops it once the session has caught up or
// was reset.
func TestFirstPaintFeed(t *testing.T) {
	_, snap, _, _ := hostileFirstPaint(3)(httpReq("s=ok"), "main", 0, 0)
	fp := &firstPaint{User: protocol.User{ID: "u-me"}, Snap: snap}
	f := fp.feed()
	if f.Pos != snap.Pos || len(f.Posts) != 3 || f.Posts[0].ID != "p2" || f.Posts[2].ID != "p0" {
		t.Fatalf("feed: %+v", f)
	}
	p := newFeedPage()
	p.showFirstPaint(fp, time.UnixMilli(fp.Snap.Posts[0].Created))
	older := f
	older.Pos, older.Posts = snap.Pos-1, f.Posts[:2]
	if got := p.shownFeed(older, false); !reflect.DeepEqual(got, f) || p.first == nil {
		t.Errorf("an older cached copy was shown over the first paint")
	}
	if got := p.shownFeed(older, true); got.Pos != older.Pos || p.first != nil {
		t.Errorf("a reset did not drop the first paint")
	}
	p.first = fp
	caught := f
	caught.Synced = true
	if got := p.shownFeed(caught, false); !got.Synced || p.first != nil {
		t.Errorf("a caught-up copy did not drop the first paint")
	}
}

func httpReq(cookie string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", cookie)
	return r
}

// TestFirstPaintPageSize: whatever the feed holds, a feed page stays
// within maxFirstPaintPage (FirstPaintBytes of posts, as HTML and as the
// app's state): FirstPaintPosts short posts by long names with reactions,
// and posts of MaxTextChars '<' (the most bytes per character, escaped).
func TestFirstPaintPageSize(t *testing.T) {
	const maxFirstPaintPage = 4*FirstPaintBytes + 40<<10
	name := strings.Repeat("W", protocol.MaxNameChars)
	for _, tc := range []struct {
		name string
		text string
	}{
		{"short posts", "a short post"},
		{"long posts", strings.Repeat("word ", protocol.MaxTextChars/5)},
		{"worst characters", strings.Repeat("<", protocol.MaxTextChars)},
	} {
		src := func(r *http.Request, feed string, maxPosts, maxBytes int) (protocol.User, protocol.Snapshot, bool, bool) {
			me := protocol.User{ID: "u-me", Name: name}
			snap := protocol.Snapshot{Feed: feed, Pos: 1000}
			size := protocol.SnapshotLen(feed, snap.Pos, true)
			for i := range maxPosts {
				var users []protocol.User
				for j := range protocol.MaxReactionUsers {
					users = append(users, protocol.User{ID: fmt.Sprint("u", j), Name: name})
				}
				p := protocol.Post{ID: fmt.Sprint("p", i), Feed: feed, Author: me, Text: tc.text, Created: 1, Pos: uint64(1000 - i)}
				for _, e := range protocol.Reactions {
					p.Reactions = append(p.Reactions, protocol.Reaction{Emoji: e, Users: users, Count: 99})
				}
				if size += protocol.PostLen(p) + 1; size > maxBytes {
					break
				}
				snap.Posts = append(snap.Posts, p)
			}
			return me, snap, false, true
		}
		w := get(t, NewHTTPHandler("test-1", WithFirstPaint(src)), "/", "Cookie", "s=ok")
		t.Logf("%s: %d bytes, %d posts", tc.name, w.Body.Len(), strings.Count(w.Body.String(), "<article"))
		if w.Body.Len() > maxFirstPaintPage {
			t.Errorf("%s: the page is %d bytes, over %d", tc.name, w.Body.Len(), maxFirstPaintPage)
		}
	}
}
