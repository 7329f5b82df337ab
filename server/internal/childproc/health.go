package childproc

import "net/http"

// Healthy says whether a child's health endpoint (nats-server's /healthz,
// livefeed's /readyz) answers 200 OK at url.
func Healthy(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
