package ui

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// link and text build the expected parts of TestSplitLinks.
func link(s string) textPart { return textPart{Text: s, Href: "http" + s[len("http"):]} }
func text(s string) textPart { return textPart{Text: s} }

func TestSplitLinks(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []textPart
	}{
		{"", nil},
		{"no links here", []textPart{text("no links here")}},
		{"see https://example.com/a_(b).", []textPart{text("see "), link("https://example.com/a_(b)"), text(".")}},
		{"(see https://example.com/x)", []textPart{text("(see "), link("https://example.com/x"), text(")")}},
		{"https://example.com/a))", []textPart{link("https://example.com/a"), text("))")}},
		{"[http://a.example/c]", []textPart{text("["), link("http://a.example/c"), text("]")}},
		{"https://example.com/?q=1&r=(2)#top, then", []textPart{link("https://example.com/?q=1&r=(2)#top"), text(", then")}},
		{"done: https://example.com/x?!'*_~:;", []textPart{text("done: "), link("https://example.com/x"), text("?!'*_~:;")}},
		{"a https://x.example\nb http://y.example/z.", []textPart{text("a "), link("https://x.example"), text("\nb "), link("http://y.example/z"), text(".")}},
		// Phones capitalise the first letter: the link keeps it, its
		// target has the scheme in lower case.
		{"Https://Example.com/A", []textPart{{Text: "Https://Example.com/A", Href: "https://Example.com/A"}}},
		{"HTTP://EXAMPLE.COM", []textPart{{Text: "HTTP://EXAMPLE.COM", Href: "http://EXAMPLE.COM"}}},
		// Quotes, angle brackets, spaces and backslashes end a URL.
		{`<https://example.com>`, []textPart{text("<"), link("https://example.com"), text(">")}},
		{`"https://example.com/"onmouseover="x"`, []textPart{text(`"`), link("https://example.com/"), text(`"onmouseover="x"`)}},
		{`https://example.com\@evil.example`, []textPart{link("https://example.com"), text(`\@evil.example`)}},
		// Non-ASCII letters are part of a URL; other symbols are not.
		{"https://de.wikipedia.org/wiki/Straße.", []textPart{link("https://de.wikipedia.org/wiki/Straße"), text(".")}},
		{"https://例子.测试/路径", []textPart{link("https://例子.测试/路径")}},
		{"看https://example.com，很好", []textPart{text("看https://example.com，很好")}},
		{"看 https://example.com，很好", []textPart{text("看 "), link("https://example.com"), text("，很好")}},
		{"https://example.com/🎉", []textPart{link("https://example.com/"), text("🎉")}},
		{"http://[::1]:8080/x", []textPart{link("http://[::1]:8080/x")}},
		// Never another scheme, never inside a word, never without a host.
		{"javascript:alert(1)", []textPart{text("javascript:alert(1)")}},
		{"JavaScript:alert(document.cookie)//https", []textPart{text("JavaScript:alert(document.cookie)//https")}},
		{"data:text/html,<script>alert(1)</script>", []textPart{text("data:text/html,<script>alert(1)</script>")}},
		{"ftp://example.com mailto:a@example.com", []textPart{text("ftp://example.com mailto:a@example.com")}},
		{"xhttps://example.com", []textPart{text("xhttps://example.com")}},
		{"http:// https://. http:/x https://", []textPart{text("http:// https://. http:/x https://")}},
		{"https://-.-", []textPart{text("https://-.-")}},
		// A link that says one host and goes to another stays text.
		{"https://bank.example@evil.example/login", []textPart{text("https://bank.example@evil.example/login")}},
		// What net/url refuses stays text.
		{"https://example.com/100%zz", []textPart{text("https://example.com/100%zz")}},
		{"https://example.com:port/", []textPart{text("https://example.com:port/")}},
		// A javascript: URL after an http one is text; a link after it is
		// a link.
		{"javascript:x https://ok.example", []textPart{text("javascript:x "), link("https://ok.example")}},
	} {
		got := splitLinks(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("splitLinks(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzLinks checks splitLinks's properties on any text: the parts give
// the text back; no part is empty and plain text is never cut in two;
// every link is an http or https URL with a host (as net/url parses it),
// written as its text says, with no character that could leave an
// attribute or start markup, not inside a word; and a link found in a text
// is found the same on its own.
func FuzzLinks(f *testing.F) {
	for _, s := range []string{
		"see https://example.com/a_(b).", "javascript:alert(1)", "Https://x.example/(a))",
		"http://[::1]:80/", "https://例子.测试/路径", `"https://a.example/"x`, "https://u@h.example",
		"xhttp://a.example", "https://a.example/%zz", "data:text/html,<b>", "http://\x80.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := splitLinks(s)
		var b strings.Builder
		for i, p := range parts {
			b.WriteString(p.Text)
			if p.Text == "" {
				t.Fatalf("empty part %d in %q", i, parts)
			}
			if p.Href == "" {
				if i > 0 && parts[i-1].Href == "" {
					t.Fatalf("plain text cut in two: %q", parts)
				}
				continue
			}
			checkLink(t, p)
			if i > 0 && !wordBoundary(parts[i-1].Text) {
				t.Fatalf("link inside a word: %q", parts)
			}
			if alone := splitLinks(p.Text); len(alone) != 1 || alone[0] != p {
				t.Fatalf("link %q alone is %q", p.Text, alone)
			}
		}
		if b.String() != s {
			t.Fatalf("parts of %q give back %q", s, b.String())
		}
	})
}

func checkLink(t *testing.T, p textPart) {
	t.Helper()
	var scheme string
	switch {
	case strings.HasPrefix(p.Href, "http://"):
		scheme = "http"
	case strings.HasPrefix(p.Href, "https://"):
		scheme = "https"
	default:
		t.Fatalf("link %q goes to %q", p.Text, p.Href)
	}
	u, err := url.Parse(p.Href)
	if err != nil || u.Scheme != scheme || u.Host == "" || u.User != nil {
		t.Fatalf("link %q: url.Parse(%q) = %+v, %v", p.Text, p.Href, u, err)
	}
	n := len(scheme + "://")
	if !strings.EqualFold(p.Text[:n], p.Href[:n]) || p.Text[n:] != p.Href[n:] {
		t.Fatalf("link text %q is not its target %q as written", p.Text, p.Href)
	}
	if i := strings.IndexFunc(p.Href, func(r rune) bool { return r <= ' ' || strings.ContainsRune("\"<>\\`", r) }); i >= 0 {
		t.Fatalf("link target %q has %q", p.Href, p.Href[i])
	}
}
