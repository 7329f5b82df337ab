package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"livefeed/server/internal/softauthn"
	"livefeed/shared/protocol"
)

// TestPostWithToken: "livefeed post --token" posts as the account whose
// API token it is; once revoked, the same command fails with 401.
func TestPostWithToken(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, addr, t.TempDir())
	base := "http://" + strings.Replace(addr, "127.0.0.1", "localhost", 1) // a relying party needs a name
	session, user, err := (&softauthn.Authenticator{}).SignUp(base, "robo_owner", "Robo Owner")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/api/tokens", strings.NewReader(`{"label":"ci"}`))
	req.Header.Set("Authorization", "Bearer "+session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token, ID string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.Token == "" {
		t.Fatalf("make a token: %d", resp.StatusCode)
	}
	out, err := cli(t, "post", "--server", "http://"+addr, "--token", tok.Token, "beep")
	if err != nil {
		t.Fatal(err)
	}
	var ev protocol.Event
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.Author != user {
		t.Fatalf("posted %q as %+v, want %+v (%v)", out, ev.Author, user, err)
	}
	req, _ = http.NewRequest("DELETE", base+"/api/tokens/"+tok.ID, nil)
	req.Header.Set("Authorization", "Bearer "+session)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %v %v", resp, err)
	}
	if out, err := cli(t, "post", "--server", "http://"+addr, "--token", tok.Token, "--timeout", "3s", "beep"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a revoked token: %q, %v", out, err)
	}
}
