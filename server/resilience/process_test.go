package resilience

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"livefeed/server/internal/testnode"
	"livefeed/shared/protocol"
)

var binary string

func TestMain(m *testing.M) { os.Exit(testnode.RunWithBinary(m, "../cmd/livefeed", &binary)) }

// server is a "livefeed serve" child process (testnode.Process).
type server = testnode.Process

func newServer(t testing.TB, args ...string) *server {
	return testnode.NewProcess(t, binary, nil, args...)
}

// newServerUnder starts the server as an argument of the command wrap.
func newServerUnder(t testing.TB, wrap []string, args ...string) *server {
	return testnode.NewProcess(t, binary, wrap, args...)
}

// postHTTP posts through the HTTP API with an op id, retrying until the
// server acknowledges (a retry of an op that was stored is a duplicate, not
// a second post).
func postHTTP(t testing.TB, s *server, token, feed, op, text string) protocol.Ack {
	body, _ := json.Marshal(map[string]string{"op": op, "text": text})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("POST", s.URL()+"/api/feeds/"+feed+"/posts", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var ack protocol.Ack
			err = json.NewDecoder(resp.Body).Decode(&ack)
			resp.Body.Close()
			if resp.StatusCode == 200 && err == nil {
				return ack
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("post %s never acknowledged", op)
	return protocol.Ack{}
}

func signIn(t testing.TB, s *server, name string) string {
	t.Helper()
	resp, err := http.Post(s.URL()+"/api/session", "application/json", strings.NewReader(fmt.Sprintf(`{"name":%q}`, name)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Token == "" {
		t.Fatalf("sign in: HTTP %d", resp.StatusCode)
	}
	return out.Token
}
