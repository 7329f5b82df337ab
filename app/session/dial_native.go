//go:build !js

package session

import (
	"net/http"

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
