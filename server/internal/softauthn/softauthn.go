// Package softauthn is a software WebAuthn authenticator for tests: it
// answers the options a server gives navigator.credentials.create and .get
// with what a browser would post back, with P-256 (ES256) keys, "none"
// attestation and discoverable credentials, as a platform authenticator
// with user verification would.
package softauthn

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"livefeed/shared/protocol"
)

// Authenticator holds credentials. Safe for concurrent use.
type Authenticator struct {
	mu    sync.Mutex
	creds []*Credential
}

// Credential is one key pair the authenticator made.
type Credential struct {
	ID    []byte
	RPID  string
	User  []byte // the user handle
	Key   *ecdsa.PrivateKey
	Count uint32
}

var b64 = base64.RawURLEncoding

// Flags of authenticator data.
const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
	} `json:"publicKey"`
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// Create makes a credential for the options (the JSON a server hands to
// navigator.credentials.create) at origin and returns the JSON of the
// PublicKeyCredential a browser would post, and the credential.
func (a *Authenticator) Create(options []byte, origin string) ([]byte, *Credential, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, fmt.Errorf("softauthn: options: %w", err)
	}
	user, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: user id: %w", err)
	}
	a.mu.Lock()
	for _, c := range a.creds {
		for _, ex := range o.PublicKey.Exclude {
			if b64.EncodeToString(c.ID) == ex.ID {
				a.mu.Unlock()
				return nil, nil, errors.New("softauthn: InvalidStateError: excluded credential present")
			}
		}
	}
	a.mu.Unlock()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: make([]byte, 16), RPID: o.PublicKey.RP.ID, User: user, Key: key}
	rand.Read(c.ID)
	pub, _ := key.PublicKey.ECDH()
	raw := pub.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, nil, err
	}
	rp := sha256.Sum256([]byte(c.RPID))
	auth := append(rp[:], flagUP|flagUV|flagAT, 0, 0, 0, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(c.ID)))
	auth = append(auth, c.ID...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, origin)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
	a.mu.Lock()
	a.creds = append(a.creds, c)
	a.mu.Unlock()
	return out, c, nil
}

// Get signs the options' challenge (the JSON a server hands to
// navigator.credentials.get) with the newest credential for its RP ID, at
// origin, and returns the PublicKeyCredential's JSON.
func (a *Authenticator) Get(options []byte, origin string) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("softauthn: options: %w", err)
	}
	a.mu.Lock()
	var c *Credential
	for _, x := range a.creds {
		if x.RPID == o.PublicKey.RPID {
			c = x
		}
	}
	if c == nil {
		a.mu.Unlock()
		return nil, errors.New("softauthn: NotAllowedError: no credential for " + o.PublicKey.RPID)
	}
	c.Count++
	count := c.Count
	a.mu.Unlock()
	return Assert(c, count, o.PublicKey.Challenge, origin)
}

// Assert returns the PublicKeyCredential JSON of an assertion by c with
// sign count count over challenge at origin.
func Assert(c *Credential, count uint32, challenge, origin string) ([]byte, error) {
	rp := sha256.Sum256([]byte(c.RPID))
	auth := binary.BigEndian.AppendUint32(append(rp[:], flagUP|flagUV), count)
	cd := clientData("webauthn.get", challenge, origin)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.User),
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Last returns the newest credential (nil if none).
func (a *Authenticator) Last() *Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.creds) == 0 {
		return nil
	}
	return a.creds[len(a.creds)-1]
}

// SignUp makes an account at the server at base (an origin by name, e.g.
// http://localhost:PORT) with a new passkey on a and returns the account
// session's token and the user.
func (a *Authenticator) SignUp(base, handle, name string) (string, protocol.User, error) {
	body, _ := json.Marshal(map[string]string{"handle": handle, "name": name})
	var c struct {
		Ceremony string          `json:"ceremony"`
		Options  json.RawMessage `json:"options"`
	}
	if err := postJSON(base+"/api/account/sign-up/begin", body, &c); err != nil {
		return "", protocol.User{}, err
	}
	cred, _, err := a.Create(c.Options, base)
	if err != nil {
		return "", protocol.User{}, err
	}
	var out struct {
		Token string        `json:"token"`
		User  protocol.User `json:"user"`
	}
	if err := postJSON(base+"/api/account/sign-up/finish?ceremony="+c.Ceremony, cred, &out); err != nil {
		return "", protocol.User{}, err
	}
	return out.Token, out.User, nil
}

func postJSON(url string, body []byte, out any) error {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("softauthn: %s: HTTP %d %s", url, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}
