package ui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// attrText is the value to give an attribute that holds text from people
// (names, post text, links): the text itself in the browser, and on the
// server the text with every character that go-app's prerender would
// corrupt, or that could end the attribute, written as an HTML character
// reference. go-app writes a prerendered attribute value with
// strconv.Quote, which does not HTML-escape: a '"' in the value would end
// the attribute (an injected attribute or element), and a '\' or a
// character strconv does not print (a bidi control) would show as a Go
// escape. After attrText, strconv.Quote changes nothing and the browser
// reads the original text back. TestPrerenderXSS holds every attribute
// that prerenders people's text to it.
func attrText(s string) string {
	if app.IsClient {
		return s
	}
	return escapeAttr(s)
}

// escapeAttr writes as character references the characters of s that are
// HTML syntax (& < > " ' `), a backslash, and those strconv.Quote would
// escape (not printable, or invalid UTF-8, which becomes U+FFFD).
func escapeAttr(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteString("&#xFFFD;")
		case strings.ContainsRune("&<>\"'`\\", r):
			b.WriteString("&#")
			b.WriteString(strconv.Itoa(int(r)))
			b.WriteByte(';')
		case r >= 0x80 && r <= 0x9f, r == 0:
			// C1 controls and NUL are read as other characters from a
			// reference (HTML's windows-1252 table, U+FFFD).
			b.WriteString("&#xFFFD;")
		case strconv.IsPrint(r):
			b.WriteRune(r)
		default:
			b.WriteString("&#x")
			b.WriteString(strconv.FormatInt(int64(r), 16))
			b.WriteByte(';')
		}
	}
	return b.String()
}
