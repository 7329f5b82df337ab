//go:build !js

package ui

import (
	"bytes"
	"net/http"
)

// responseBuffer is an http.ResponseWriter that keeps what a handler
// writes, so that go-app's responses can be kept (its generated scripts) or
// changed (the og tags of its pages) before anything reaches the client.
type responseBuffer struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newResponseBuffer() *responseBuffer { return &responseBuffer{header: http.Header{}} }

func (b *responseBuffer) Header() http.Header { return b.header }

func (b *responseBuffer) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

// status returns the response's status code (200 when the handler wrote
// nothing at all, as net/http would send).
func (b *responseBuffer) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}
