package ui

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Links in post text.
//
// A post's text is shown as text nodes, with the http and https URLs in it
// as <a> elements built with go-app (post-text.go), never as HTML.
// splitLinks cuts a text into those pieces. It finds what common
// linkifiers (GitHub's autolinks) find:
//
//   - a URL starts with "http://" or "https://" (in any case: phones
//     capitalise "Https://"), not inside a word ("xhttp://" is text);
//   - it runs over the characters a URL may hold (ASCII letters, digits and
//     -._~:/?#[]@!$&'()*+,;=%, and non-ASCII letters, digits and marks) and
//     stops at anything else: a space, a quote ("), <, >, \, an emoji, a
//     full-width comma;
//   - trailing punctuation is not part of it (. , : ; ! ? ' * _ ~), nor is a
//     closing ) or ] that has no opening one inside it: "see
//     https://example.com/a_(b)." links https://example.com/a_(b);
//   - what is left must parse with net/url as an http or https URL with a
//     host, and have no user name or password ("https://bank.com@evil.com"
//     goes to evil.com: it stays text).
//
// Any other scheme (javascript:, data:, ...) is never a link: only text
// starting with http:// or https:// can become one.

// textPart is a piece of a post's text: plain text, or a link.
type textPart struct {
	// Text is the piece as written.
	Text string
	// Href is the link's target: Text with its scheme in lower case.
	// Empty for plain text.
	Href string
}

// splitLinks cuts s into plain text and links, in order: concatenated,
// the parts' Text give back s. Consecutive plain text is one part; no part
// is empty (an empty s has none).
func splitLinks(s string) []textPart {
	var out []textPart
	plain := 0 // where the plain text not yet cut starts
	for i := 0; i < len(s); {
		j := indexHTTP(s, i)
		if j < 0 {
			break
		}
		n := schemeLen(s[j:])
		if n == 0 || !wordBoundary(s[:j]) {
			i = j + 1
			continue
		}
		end := trimURL(s[j:j+urlLen(s[j+n:])+n], n) + j
		href, ok := linkHref(s[j:end], n)
		if !ok {
			i = j + n
			continue
		}
		if plain < j {
			out = append(out, textPart{Text: s[plain:j]})
		}
		out = append(out, textPart{Text: s[j:end], Href: href})
		plain, i = end, end
	}
	if plain < len(s) {
		out = append(out, textPart{Text: s[plain:]})
	}
	return out
}

// indexHTTP is the index of the next "http" (in any case) in s at or
// after i, or -1.
func indexHTTP(s string, i int) int {
	for ; i+4 <= len(s); i++ {
		if c := s[i]; (c == 'h' || c == 'H') && strings.EqualFold(s[i:i+4], "http") {
			return i
		}
	}
	return -1
}

// schemeLen is the length of the "http://" or "https://" (in any case) s
// starts with, or 0.
func schemeLen(s string) int {
	for _, p := range [...]string{"http://", "https://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return len(p)
		}
	}
	return 0
}

// wordBoundary reports whether a URL may start after before: at the start
// of the text or after anything but a letter, a digit or a mark.
func wordBoundary(before string) bool {
	if before == "" {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(before)
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
}

// urlLen is the length of the run of URL characters s starts with.
func urlLen(s string) int {
	for i, r := range s {
		if !urlRune(r) {
			return i
		}
	}
	return len(s)
}

// urlRune reports whether r may be part of a URL.
func urlRune(r rune) bool {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return true
		}
		return strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r)
	}
	// utf8.RuneError (invalid UTF-8) is a symbol: it ends the URL.
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// trimURL drops the trailing punctuation of u (a URL whose scheme is its
// first n bytes) and returns the length of what is left.
func trimURL(u string, n int) int {
	end := len(u)
	for end > n {
		switch c := u[end-1]; c {
		case '.', ',', ':', ';', '!', '?', '\'', '*', '_', '~':
			end--
			continue
		case ')', ']':
			open := byte('(')
			if c == ']' {
				open = '['
			}
			if strings.Count(u[:end], string(c)) > strings.Count(u[:end], string(open)) {
				end--
				continue
			}
		}
		break
	}
	return end
}

// linkHref returns the target of the candidate URL u (its scheme is its
// first n bytes), and whether it is a link at all.
func linkHref(u string, n int) (string, bool) {
	scheme := strings.ToLower(u[:n-len("://")])
	href := scheme + u[n-len("://"):]
	p, err := url.Parse(href)
	if err != nil || p.Scheme != scheme || p.User != nil || p.Opaque != "" {
		return "", false
	}
	return href, validHost(p)
}

// validHost reports whether p's host is a name (letters, digits, marks,
// hyphens and dots, with at least one letter or digit) or a bracketed IPv6
// address, with an optional numeric port (net/url checks the port).
func validHost(p *url.URL) bool {
	h := p.Hostname()
	ipv6 := strings.HasPrefix(p.Host, "[")
	some := false
	for _, r := range h {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			some = true
		case r == '-' || r == '.' || unicode.IsMark(r):
		case r == ':' && ipv6:
		default:
			return false
		}
	}
	return some
}
