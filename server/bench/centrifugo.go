//go:build linux

package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Centrifugo as the target (Config.Target "centrifugo"): the same clients
// on the same reactors open WebSockets to a Centrifugo server the caller
// started (its JSON protocol, /connection/websocket), each with a
// connection JWT (HS256, Config.CentrifugoSecret, one identity per
// Config.Users as for Livefeed) and a subscription to its feed's channel,
// both in the first frame as Livefeed's hello carries its subscriptions.
// A client counts as connected when the subscribe reply arrives, as a
// Livefeed client does at "subscribed". Only the connection phase is
// measured (no publishing). See docs/performance.md, "Connects".

const (
	targetLivefeed   = "livefeed"
	targetCentrifugo = "centrifugo"
	// centrifugoPath is Centrifugo's bidirectional WebSocket endpoint.
	centrifugoPath = "/connection/websocket"
	// centrifugoTokenLife is how long the harness's connection tokens
	// are valid.
	centrifugoTokenLife = time.Hour
)

// centrifugoToken returns a connection JWT for user sub signed with secret.
func centrifugoToken(secret, sub string, now time.Time) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc.EncodeToString(fmt.Appendf(nil, `{"sub":%q,"exp":%d}`, sub, now.Add(centrifugoTokenLife).Unix()))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(head + "." + body))
	return head + "." + body + "." + enc.EncodeToString(m.Sum(nil))
}

// centrifugoHello is the first frame: connect (id 1), then a subscribe
// (ids 2...) per feed, newline-separated (Centrifugo's JSON batching).
func (c *client) centrifugoHello() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"id":1,"connect":{"token":%q,"name":"livefeed-bench"}}`, c.token)
	for i := range c.feeds {
		fmt.Fprintf(&b, "\n"+`{"id":%d,"subscribe":{"channel":%q}}`, i+2, c.feeds[i].info.name)
	}
	return b.Bytes()
}

var (
	cfSubscribeReply = []byte(`"subscribe":{`)
	cfError          = []byte(`"error":{`)
)

// handleCentrifugo handles one frame from Centrifugo: replies (one JSON
// object per line), pushes and pings ({}), of which only the subscribe
// replies and errors matter here.
func (c *client) handleCentrifugo(msg []byte, total int, now time.Time) {
	r := c.r
	r.messages.Add(1)
	r.bytes.Add(uint64(total))
	for line := range bytes.SplitSeq(msg, []byte("\n")) {
		switch {
		case bytes.Contains(line, cfError):
			r.errorf("client %d: centrifugo: %.200s", c.idx, line)
		case bytes.Contains(line, cfSubscribeReply) && c.pending > 0:
			if c.pending--; c.pending == 0 && !c.ready.Load() {
				c.ready.Store(true)
				c.readyCh <- nil
			}
		}
	}
}

// checkCentrifugo validates a Centrifugo run's configuration.
func checkCentrifugo(cfg *Config) error {
	switch {
	case cfg.Server == "":
		return errors.New("target centrifugo: start Centrifugo yourself and give --server (and --server-pid)")
	case cfg.CentrifugoSecret == "":
		return errors.New("target centrifugo: --centrifugo-secret is its client.token.hmac_secret_key")
	case cfg.Duration > 0 || len(cfg.Rates) > 0 || cfg.Storm || cfg.Posts > 0:
		return errors.New("target centrifugo: connects only (--duration 0, no --rates, --storm or --posts)")
	case cfg.Mode != "live" || cfg.Transport != "ws":
		return errors.New("target centrifugo: --mode live and --transport ws only")
	}
	return nil
}
