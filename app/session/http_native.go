//go:build !js

package session

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"livefeed/shared/protocol"
)

// nativeHTTP is the HTTP transport's doer for native clients: net/http,
// with the bearer token.
type nativeHTTP struct {
	client *http.Client
	token  string
}

func newHTTPDoer(cfg Config) httpDoer {
	return nativeHTTP{client: httpClient, token: cfg.Token}
}

// idleConnsPerHost is how many idle connections to one server the native
// HTTP transport keeps (net/http keeps 2): a load generator's polls and
// uplink requests reuse theirs instead of dialing anew.
const idleConnsPerHost = 64

// httpClient is net/http's default client (proxies from the environment
// included) keeping idleConnsPerHost idle connections per host.
var httpClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = idleConnsPerHost
	return &http.Client{Transport: t}
}()

func (n nativeHTTP) do(req *http.Request) (*http.Response, error) {
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	return n.client.Do(req)
}

func (n nativeHTTP) get(ctx context.Context, url string, header map[string]string) (io.ReadCloser, int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := n.do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, resp.StatusCode, b, nil
	}
	return resp.Body, resp.StatusCode, nil, nil
}

func (n nativeHTTP) post(ctx context.Context, url, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := n.do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, protocol.MaxClientReadBytes))
	return resp.StatusCode, b, err
}
