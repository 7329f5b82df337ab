package httpapi_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"livefeed/server/httpapi"
	"livefeed/server/internal/testnode"
)

// TestAccountFloodKeepsServing: 600 sign-up, sign-in and guest sign-in
// requests from one address (127.0.0.1), 16 at a time: no more than the
// address's sign-in burst (plus a token a second) get past the limit,
// the rest get 429, and meanwhile a signed-in user posts and /healthz
// answers. It prints the flood's rate and the worst post latency during
// it (a loaded machine: figures are noisy).
func TestAccountFloodKeepsServing(t *testing.T) {
	tn := testnode.Start(t, t.TempDir(), nil)
	token, _ := tn.SignIn(t, "Steady") // before the flood: it shares the address's bucket
	paths := []struct {
		path string
		body any
	}{
		{"/api/account/sign-up/begin", map[string]string{"handle": "flood", "name": "F"}},
		{"/api/account/sign-in/begin", nil},
		{"/api/account/sign-in/finish?ceremony=" + "00000000000000000000000000000000", []byte("{}")},
		{"/api/session", map[string]string{"name": "Flood"}},
	}
	const total, workers = 600, 16
	var passed, limited, other atomic.Int64
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				p := paths[i%int64(len(paths))]
				switch st, _ := api(t, tn, "POST", p.path, p.body, ""); {
				case st == http.StatusTooManyRequests:
					limited.Add(1)
				case st < 500:
					passed.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	// The rest of the server while the flood runs.
	var worst time.Duration
	posts := 0
	for next.Load() < total {
		t0 := time.Now()
		postAs(t, tn, token, "still here")
		if st, _ := api(t, tn, "GET", "/healthz", nil, ""); st != http.StatusOK {
			t.Fatalf("/healthz during the flood: %d", st)
		}
		worst = max(worst, time.Since(t0))
		posts++
	}
	wg.Wait()
	took := time.Since(start)
	allowed := int64(httpapi.SignInBurst) + int64(took.Seconds()*httpapi.DefaultSignInRate) + 1
	if passed.Load() > allowed || other.Load() != 0 || limited.Load() < total-allowed {
		t.Fatalf("%d passed (at most %d allowed), %d limited, %d 5xx", passed.Load(), allowed, limited.Load(), other.Load())
	}
	t.Logf("%d requests in %v (%.0f/s): %d past the limit, %d got 429; %d posts + healthz meanwhile, the slowest %v",
		total, took.Round(time.Millisecond), float64(total)/took.Seconds(), passed.Load(), limited.Load(), posts, worst.Round(time.Microsecond))
}
