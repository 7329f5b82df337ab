package faultproxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// HTTP modes: the proxy understands HTTP/1.1 and misbehaves as some
// corporate proxies, antivirus gateways and old middleboxes do.
const (
	// TCP forwards bytes, understanding nothing (the default).
	TCP = iota
	// RefuseUpgrade answers every WebSocket upgrade with 403 Forbidden and
	// passes other requests through, their responses as they stream.
	RefuseUpgrade
	// BufferResponses holds every response until it has ended and then
	// sends it whole (with a Content-Length): a stream never arrives, a
	// poll arrives when it ends. An upgrade is never answered (its
	// response does not end).
	BufferResponses
)

// SetHTTPMode sets the mode of new connections: TCP, RefuseUpgrade or
// BufferResponses.
func (p *Proxy) SetHTTPMode(mode int) {
	p.mu.Lock()
	p.httpMode = mode
	p.mu.Unlock()
}

// Stats of the HTTP modes.
type Stats struct {
	Requests, Refused, Buffered int
}

// HTTPStats returns what the HTTP modes did so far.
func (p *Proxy) HTTPStats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// serveHTTP proxies the requests of one client connection in mode, each
// over a new connection to the target (the client's connection is kept
// alive, as a proxy would).
func (p *Proxy) serveHTTP(client net.Conn, target string, mode int) {
	br := bufio.NewReader(client)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.stats.Requests++
		p.mu.Unlock()
		upgrade := strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
		if upgrade && mode == RefuseUpgrade {
			p.mu.Lock()
			p.stats.Refused++
			p.mu.Unlock()
			io.WriteString(client, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 25\r\nConnection: close\r\n\r\nWebSockets are not allowed")
			return
		}
		if upgrade { // BufferResponses: the answer never ends, so never comes
			io.Copy(io.Discard, br)
			return
		}
		server, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		p.track(server, true)
		ok := p.forward(client, server, req, mode)
		p.track(server, false)
		server.Close()
		if !ok {
			return
		}
	}
}

// forward sends req to server and its response to client; false when
// either connection is done for.
func (p *Proxy) forward(client, server net.Conn, req *http.Request, mode int) bool {
	req.Header.Set("Connection", "close")
	if err := req.Write(server); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(server), req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	resp.Close = false
	resp.Header.Del("Connection")
	if mode != BufferResponses {
		// As it comes: a chunk to the client as soon as it arrives.
		return resp.Write(flushWriter{client}) == nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return false
	}
	p.mu.Lock()
	p.stats.Buffered++
	p.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.TransferEncoding = nil
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp.Write(client) == nil
}

// flushWriter is a net.Conn as an io.Writer (each write goes out at once).
type flushWriter struct{ c net.Conn }

func (w flushWriter) Write(b []byte) (int, error) { return w.c.Write(b) }
