package testnode

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Request sends an HTTP request to url and returns the response with its
// body, read whole (the response's Body is closed). body is sent as is
// (none when ""); token, unless "", goes as a bearer token; header adds
// headers, as name, value pairs.
func Request(t testing.TB, method, url, token, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, b
}

// Get is Request for a GET of path on the node, with no token.
func (tn *Node) Get(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	return Request(t, "GET", tn.Srv.URL+path, "", "")
}

// Post posts text to feed through the HTTP API as the holder of token,
// with op id op, and returns the response and its body (the ack, or the
// error).
func (tn *Node) Post(t testing.TB, feed, token, op, text string) (*http.Response, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"op": op, "text": text})
	return Request(t, "POST", tn.Srv.URL+"/api/feeds/"+feed+"/posts", token, string(body))
}
