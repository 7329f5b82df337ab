//go:build js

package session

import (
	"github.com/coder/websocket"

	"livefeed/shared/protocol"
)

// dialOptions: the browser cannot set headers on a WebSocket; it sends the
// session cookie, so the token is unused.
func dialOptions(string) *websocket.DialOptions {
	return &websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol}}
}
