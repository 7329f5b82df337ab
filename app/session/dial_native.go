//go:build !js

package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// dialOptions authenticates native clients with the bearer token.
func dialOptions(token string) *websocket.DialOptions {
	o := &websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol}}
	if token != "" {
		o.HTTPHeader = http.Header{"Authorization": {"Bearer " + token}}
	}
	return o
}

// SignIn gets a bearer token for a display name from the server at base
// (http://host:port), for native clients (the CLI, the load generator); the
// browser signs in with its cookie instead.
func SignIn(ctx context.Context, base, name string) (string, error) {
	body, _ := json.Marshal(map[string]string{"name": name})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimRight(base, "/")+"/api/session", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string          `json:"token"`
		Error *protocol.Error `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return "", fmt.Errorf("sign in: HTTP %d: %w", resp.StatusCode, err)
	}
	if out.Error != nil {
		return "", fmt.Errorf("sign in: %w", out.Error)
	}
	if out.Token == "" {
		return "", fmt.Errorf("sign in: HTTP %d without a token", resp.StatusCode)
	}
	return out.Token, nil
}
