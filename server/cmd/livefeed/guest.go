package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"livefeed/app/session"
)

// The command-line client signs in as a guest with --name. It keeps the
// guest's session for that server and name in the user's config directory
// ($XDG_CONFIG_HOME/livefeed/guests.json, or ~/.config/...; mode 0600), so
// repeated runs are one person, who can edit and delete their earlier
// posts; a session the server no longer accepts is replaced by a new
// sign-in. LIVEFEED_CONFIG_DIR overrides the directory (tests).

// guestFile is the path of the kept guest sessions.
func guestFile() (string, error) {
	dir := os.Getenv("LIVEFEED_CONFIG_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(base, "livefeed")
	}
	return filepath.Join(dir, "guests.json"), nil
}

// guestKey names a guest session: the server and the display name.
func guestKey(server, name string) string { return strings.TrimRight(server, "/") + " " + name }

var guestMu sync.Mutex // one read-modify-write at a time within the process

// guestToken returns a bearer token for name on server: the kept one when
// the server still accepts it, else a new sign-in, which is kept.
func guestToken(ctx context.Context, server, name string) (string, error) {
	guestMu.Lock()
	defer guestMu.Unlock()
	path, err := guestFile()
	if err != nil {
		return session.SignIn(ctx, server, name) // no config directory: a guest for this run only
	}
	kept := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &kept)
	}
	key := guestKey(server, name)
	if t := kept[key]; t != "" {
		switch ok, err := stillSignedIn(ctx, server, t); {
		case ok:
			return t, nil
		case err != nil:
			return "", err // the server cannot say: do not replace the person
		}
	}
	t, err := session.SignIn(ctx, server, name)
	if err != nil {
		return "", err
	}
	kept[key] = t
	b, _ := json.MarshalIndent(kept, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err == nil {
			_ = os.Rename(tmp, path)
		}
	}
	return t, nil
}

// stillSignedIn asks the server whether token is a valid session: true on
// 200, false on 401, an error when it cannot tell.
func stillSignedIn(ctx context.Context, server, token string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(server, "/")+"/api/session", nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("check the kept session: %w", err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusUnauthorized:
		return false, nil
	}
	return false, fmt.Errorf("check the kept session: HTTP %d", resp.StatusCode)
}
