package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func TestPostTextLinks(t *testing.T) {
	v := postView{ID: "p7", Author: "Ada", AuthorID: "u1", Created: 1,
		Text: `see https://example.com/a_(b). and javascript:alert(1) or "https://x.example/"onclick="alert(2)"`}
	html := app.HTMLString(newPostCard(nil, v, "just now", false, false, ""))
	for _, href := range []string{"https://example.com/a_(b)", "https://x.example/"} {
		a := tagWith(html, `href="`+href+`"`)
		if !strings.HasPrefix(a, "<a ") || !strings.Contains(a, `rel="noopener noreferrer nofollow ugc"`) || !strings.Contains(a, `target="_blank"`) {
			t.Errorf("link to %s: %s", href, a)
		}
		if !strings.Contains(html, ">"+href+"</a>") {
			t.Errorf("the link's text is not %s:\n%s", href, html)
		}
	}
	if !strings.Contains(html, "javascript:alert(1) or") {
		t.Errorf("javascript: is not text:\n%s", html)
	}
	if n := strings.Count(html, "<a "); n != 2 {
		t.Errorf("%d links, want 2:\n%s", n, html)
	}
	if strings.Contains(html, `href="javascript`) || strings.Contains(html, ` onclick=`) {
		t.Errorf("script reached an attribute:\n%s", html)
	}
}

func TestPostTextFoldsWhenLong(t *testing.T) {
	long := postView{ID: "p7", Author: "Ada", AuthorID: "u1", Created: 1, Text: longText("first")}
	html := app.HTMLString(newPostCard(nil, long, "just now", false, false, ""))
	fold := tagWith(html, `post-fold"`)
	for _, want := range []string{`class="post-text post-folded"`, `aria-expanded="false"`, `aria-controls="text-p7"`, `id="text-p7"`} {
		if !strings.Contains(tagWith(html, want), want) {
			t.Errorf("folded: no %s in\n%s", want, html)
		}
	}
	if !strings.Contains(fold, `aria-expanded="false"`) || !strings.Contains(fold, `aria-controls="text-p7"`) || !strings.Contains(html, ">Show more<") {
		t.Errorf("folded: the button is %s", fold)
	}
	// Unfolded by the reader: all of it, and "Show less".
	a := &recordingActor{unfold: map[string]bool{"p7": true}}
	html = app.HTMLString(newPostCard(a, long, "just now", false, false, ""))
	fold = tagWith(html, `post-fold"`)
	if strings.Contains(html, "post-folded") || !strings.Contains(html, `>Show less<`) || strings.Contains(fold, `aria-expanded="false"`) || !strings.Contains(fold, "aria-expanded") {
		t.Errorf("unfolded:\n%s", html)
	}
	// A long post being sent folds too, by its op id.
	sending := postView{Op: "op-1", Author: "Ada", AuthorID: "u1", Text: longText("first"), Sending: true, Own: true}
	html = app.HTMLString(newPostCard(nil, sending, "", false, false, ""))
	if !strings.Contains(html, `id="text-op-op-1"`) || !strings.Contains(html, `aria-controls="text-op-op-1"`) {
		t.Errorf("sending:\n%s", html)
	}
	// Short posts and posts being edited have no fold.
	short := long
	short.Text = "short"
	for _, c := range []*postCard{newPostCard(nil, short, "", false, false, ""), newPostCard(nil, long, "", false, true, long.Text)} {
		if html := app.HTMLString(c); strings.Contains(html, "Show more") || strings.Contains(html, "post-folded") {
			t.Errorf("no fold expected:\n%s", html)
		}
	}
}

// tagWith is the first start tag in html that contains marker ("" if none).
func tagWith(html, marker string) string {
	i := strings.Index(html, marker)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(html[:i], "<")
	end := strings.Index(html[i:], ">")
	if start < 0 || end < 0 {
		return ""
	}
	return html[start : i+end+1]
}
