package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// PageStats are the prerendered feed page as a signed-in reader gets it
// (Config.PageLoads; app/ui/first-paint.go): the browser's first paint
// needs its first post, not the wasm, so the time to that post's bytes is
// the server's share of the time to the first post on screen (the
// browser's is e2e/tests/perf.spec.ts).
type PageStats struct {
	Loads int `json:"loads"`
	// Bytes of the page (uncompressed) and the posts it holds (<article>s).
	Bytes int `json:"bytes"`
	Posts int `json:"posts"`
	// FirstPost is from the request to the first post's bytes, Whole to
	// the page's last byte, in ms.
	FirstPost Latency `json:"first_post_ms"`
	Whole     Latency `json:"whole_ms"`
}

// pageLoads gets the first feed's page n times, one after the other, as
// the first identity (its token: the server identifies a page request as
// it does any other).
func (r *run) pageLoads(ctx context.Context, n int) *PageStats {
	st := &PageStats{Loads: n}
	first, whole := &hist{}, &hist{}
	hc := &http.Client{Timeout: 30 * time.Second}
	marker := []byte("<article")
	for range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/f/"+r.feeds[0].name, nil)
		if err != nil {
			r.errorf("page: %v", err)
			return st
		}
		req.Header.Set("Authorization", "Bearer "+r.tokens[0])
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			r.errorf("page: %v", err)
			return st
		}
		var body bytes.Buffer
		buf := make([]byte, 4096)
		seen := false
		for {
			k, err := resp.Body.Read(buf)
			body.Write(buf[:k])
			if !seen && bytes.Contains(body.Bytes(), marker) {
				seen = true
				first.record(time.Since(t0))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				r.errorf("page: %v", err)
				resp.Body.Close()
				return st
			}
		}
		resp.Body.Close()
		whole.record(time.Since(t0))
		if resp.StatusCode != http.StatusOK {
			r.errorf("page: HTTP %d", resp.StatusCode)
			return st
		}
		st.Bytes, st.Posts = body.Len(), bytes.Count(body.Bytes(), marker)
	}
	st.FirstPost, st.Whole = first.summary(), whole.summary()
	return st
}
