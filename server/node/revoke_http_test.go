package node_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestRevokedDownlinkCloses: signing out ends the session's open HTTP
// downlinks as it closes its WebSockets, a stream and a poll held open
// alike: each gets the error signed_out and its response ends; the next
// request with the token gets 401.
func TestRevokedDownlinkCloses(t *testing.T) {
	for _, mode := range []string{protocol.HTTPStream, protocol.HTTPPoll} {
		t.Run(mode, func(t *testing.T) {
			// A poll held far longer than the test: only the revocation
			// can end it.
			tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.PollHold = time.Hour })
			token, _ := tn.SignIn(t, "Ada")
			req, _ := http.NewRequest(http.MethodGet, tn.Srv.URL+protocol.HTTPDownPath+"?mode="+mode+"&cont=1&live=main", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("downlink: HTTP %d", resp.StatusCode)
			}
			lines := bufio.NewScanner(resp.Body)
			var seen []string
			waitFor := func(what string) bool {
				for lines.Scan() {
					seen = append(seen, lines.Text())
					if strings.Contains(lines.Text(), what) {
						return true
					}
				}
				return false
			}
			if !waitFor(`"type":"subscribed"`) {
				t.Fatalf("no subscribed:\n%s", strings.Join(seen, "\n"))
			}
			if r, _ := testnode.Request(t, http.MethodDelete, tn.Srv.URL+"/api/session", token, ""); r.StatusCode != http.StatusNoContent {
				t.Fatalf("sign out: HTTP %d", r.StatusCode)
			}
			if !waitFor(`"code":"` + protocol.CodeSignedOut + `"`) {
				t.Fatalf("the downlink ended without %s:\n%s", protocol.CodeSignedOut, strings.Join(seen, "\n"))
			}
			for lines.Scan() { // the response ends
			}
			if st := downlinkStatus(t, tn, token, "mode="+mode+"&live=main", ""); st != http.StatusUnauthorized {
				t.Fatalf("a downlink with the revoked token: HTTP %d, want 401", st)
			}
		})
	}
}
