package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"livefeed/shared/protocol"
)

func TestSkipLinkIsTheFirstFocusableElementOfTheFeed(t *testing.T) {
	p := newFeedPage()
	p.phase, p.user = phaseFeed, protocol.User{ID: "u1", Name: "Ada"}
	html := app.HTMLString(p)
	first := len(html)
	for _, tag := range []string{"<a ", "<button", "<textarea", "<input", "<summary", "<details"} {
		if i := strings.Index(html, tag); i >= 0 && i < first {
			first = i
		}
	}
	link := html[first:]
	tag := link[:strings.Index(link, ">")] // go-app writes attributes in any order
	if !strings.HasPrefix(tag, "<a ") || !strings.Contains(tag, `class="skip-link"`) || !strings.Contains(tag, `href="#compose-text"`) ||
		!strings.HasPrefix(link[len(tag):], ">Skip to the compose box<") {
		t.Errorf("the first focusable element is not the skip link: %.200s", link)
	}
	if !strings.Contains(html, `id="compose-text"`) {
		t.Error("the skip link's target is not on the page")
	}

	p.phase = phaseSignIn
	if html := app.HTMLString(p); strings.Contains(html, "skip-link") {
		t.Error("a skip link to a compose box that is not there")
	}
}
