//go:build !js

package ui

import (
	"bytes"
	"html"
	"net/url"
)

// OGImage is the page's og:image, under the public URL: the large app icon.
const OGImage = "/web/icon-512.png"

// openGraph sets the og:url and og:image tags of the prerendered pages.
//
// go-app v10.1.11 writes both into every page (http.go, servePage), as
// "https://" + Handler.Domain + the path (resource.go, resolveOGResource):
// with no Domain they are the literal "https://", an address that leads
// nowhere, and no field of app.Handler removes them or gives them another
// scheme (an http:// public URL would get https:// ones). So the page
// go-app renders is rewritten: with a public URL both tags name absolute
// URLs under it; without, the server does not know the name people reach
// it by (the Host header is the client's to choose), and both tags are
// removed.
type openGraph struct {
	base string // scheme://host of the public URL; "" for none
}

func newOpenGraph(public *url.URL) openGraph {
	if public == nil || public.Host == "" {
		return openGraph{}
	}
	return openGraph{base: public.Scheme + "://" + public.Host}
}

// tags returns the og:url and og:image values for a page path.
func (o openGraph) tags(path string) (pageURL, image string) {
	if o.base == "" {
		return "", ""
	}
	return o.base + path, o.base + OGImage
}

// rewrite returns page with its og:url and og:image meta tags set for path
// (see tags), or removed when there is no public URL. Only the page's head
// is looked at.
func (o openGraph) rewrite(page []byte, path string) []byte {
	pageURL, image := o.tags(path)
	want := map[string]string{"og:url": pageURL, "og:image": image}
	end := bytes.Index(page, []byte("</head>"))
	if end < 0 {
		return page
	}
	var out bytes.Buffer
	out.Grow(len(page) + 128)
	rest := page
	for {
		i := bytes.Index(rest[:end], []byte("<meta "))
		if i < 0 {
			break
		}
		n := tagLen(rest[i:end])
		if n < 0 {
			break
		}
		tag := rest[i : i+n]
		prop := ""
		for p := range want {
			if bytes.Contains(tag, []byte(` property="`+p+`"`)) {
				prop = p
			}
		}
		if prop == "" {
			out.Write(rest[:i+n])
		} else {
			// The tag goes, with the white space before it (its line).
			out.Write(bytes.TrimRight(rest[:i], " \t\r\n"))
			if v := want[prop]; v != "" {
				if out.Len() > 0 {
					out.WriteString("\n    ")
				}
				out.WriteString(`<meta property="` + prop + `" content="` + html.EscapeString(v) + `">`)
			}
		}
		rest, end = rest[i+n:], end-(i+n)
	}
	out.Write(rest)
	return out.Bytes()
}

// tagLen returns the length of the tag b starts with, up to its closing
// '>' outside quoted attribute values (go-app quotes them with
// strconv.Quote: a '"' inside one is escaped with a backslash), or -1.
func tagLen(b []byte) int {
	quoted := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case c == '>' && !quoted:
			return i + 1
		}
	}
	return -1
}
