package ui

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The browser side of passkeys: navigator.credentials.create and .get
// through syscall/js (go-app's app.Value). The server's options are JSON
// with base64url binary fields; the browser's own
// PublicKeyCredential.parseCreationOptionsFromJSON / ...RequestOptions...
// turn them into what the calls take, and the credential's toJSON() into
// what the server's finish reads (WebAuthn Level 3; Chromium 129+,
// Firefox 119+, Safari 18+). Both block: call them from ctx.Async.

// errNoPasskeys: the browser cannot do passkeys here (too old, or not a
// secure context: https, or http://localhost).
var errNoPasskeys = errors.New("this browser cannot use passkeys here")

// passkeyCreate runs navigator.credentials.create with the server's
// options ({"publicKey": {...}}) and returns the credential as JSON.
func passkeyCreate(options json.RawMessage) (json.RawMessage, error) {
	return passkeyCall("create", "parseCreationOptionsFromJSON", options)
}

// passkeyGet runs navigator.credentials.get likewise.
func passkeyGet(options json.RawMessage) (json.RawMessage, error) {
	return passkeyCall("get", "parseRequestOptionsFromJSON", options)
}

func passkeyCall(method, parse string, options json.RawMessage) (json.RawMessage, error) {
	win := app.Window()
	pkc := win.Get("PublicKeyCredential")
	creds := win.Get("navigator").Get("credentials")
	if !pkc.Truthy() || !pkc.Get(parse).Truthy() || !creds.Truthy() || !win.Get("isSecureContext").Bool() {
		return nil, errNoPasskeys
	}
	var opts struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &opts); err != nil || len(opts.PublicKey) == 0 {
		return nil, errors.New("the server sent options this app does not understand")
	}
	cred, err := await(func() app.Value {
		parsed := pkc.Call(parse, win.Get("JSON").Call("parse", string(opts.PublicKey)))
		arg := map[string]any{"publicKey": parsed}
		return creds.Call(method, arg)
	})
	if err != nil {
		return nil, err
	}
	if !cred.Truthy() {
		return nil, errors.New("no passkey was chosen")
	}
	return json.RawMessage(win.Get("JSON").Call("stringify", cred.Call("toJSON")).String()), nil
}

// passkeyErrorText says what went wrong with a passkey in the browser.
func passkeyErrorText(err error) string {
	switch msg := err.Error(); {
	case errors.Is(err, errNoPasskeys):
		return "This browser can't use passkeys on this page. Open Livefeed over https (or at localhost) in a current browser."
	case strings.Contains(msg, "NotAllowedError"):
		return "No passkey was used: it was cancelled or timed out. Try again."
	case strings.Contains(msg, "InvalidStateError"):
		return "This device already has a passkey for this account."
	case strings.Contains(msg, "SecurityError"):
		return "The browser refused passkeys for this address (open it by its name, not an IP address)."
	default:
		return "The passkey did not work: " + msg
	}
}
