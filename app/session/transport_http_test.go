package session

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"livefeed/shared/protocol"
)

// TestHTTPTransportSaysUnreachable: a stream to a port nobody listens on
// fails unreachable (the ladder then goes back to its top); one that a
// server answers with an error status does not, nor does the transport's
// own closing.
func TestHTTPTransportSaysUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "ws://" + ln.Addr().String() + "/ws"
	ln.Close()
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":{"code":"unavailable","message":"starting"}}`, http.StatusServiceUnavailable)
	}))
	defer busy.Close()

	readErr := func(url string, closeFirst bool) error {
		t.Helper()
		cfg := Config{URL: url}
		tr, err := dialHTTP(cfg, protocol.HTTPStream, newHTTPDoer(cfg))(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if closeFirst {
			tr.Close(protocol.CloseNormal, "done")
		} else {
			tr.Write(context.Background(), protocol.MustEncode(protocol.Hello{Client: "test"}))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			if _, err := tr.Read(ctx); err != nil {
				return err
			}
		}
	}
	if err := readErr(closedPort, false); !unreachable(err) {
		t.Errorf("nothing listening: %v, want it unreachable", err)
	}
	busyURL := "ws" + busy.URL[len("http"):] + "/ws"
	if err := readErr(busyURL, false); err == nil || unreachable(err) {
		t.Errorf("HTTP 503: %v, want a failure that is not unreachable", err)
	}
	if err := readErr(closedPort, true); unreachable(err) {
		t.Errorf("closed by the session: %v, want it not unreachable", err)
	}
}
