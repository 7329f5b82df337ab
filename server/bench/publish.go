//go:build linux

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/app/session"
)

// publisher posts through the HTTP API (POST /api/feeds/{feed}/posts): it has
// no per-connection action rate limit (the WebSocket has 20/s per
// connection), and with keep-alive connections it costs the server about as
// much as a WebSocket action. It is open-loop: posts leave on a fixed
// schedule whatever the deliveries do, each stamped with its scheduled send
// time, so a server that falls behind shows as latency, not as a slower
// publisher.
type publisher struct {
	r     *run
	hc    *http.Client
	token string
	seq   atomic.Uint64
	rr    atomic.Uint64
	sem   chan struct{}
	wg    sync.WaitGroup
}

func newPublisher(r *run) (*publisher, error) {
	tr := &http.Transport{
		MaxIdleConns:        r.cfg.Publishers,
		MaxIdleConnsPerHost: r.cfg.Publishers,
		MaxConnsPerHost:     r.cfg.Publishers,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}
	return &publisher{
		r:   r,
		hc:  &http.Client{Transport: tr, Timeout: 30 * time.Second},
		sem: make(chan struct{}, r.cfg.MaxInflight),
	}, nil
}

func (p *publisher) login(ctx context.Context) (err error) {
	p.token, err = session.SignIn(ctx, p.r.base, "bench-publisher")
	return err
}

func (p *publisher) close() { p.hc.CloseIdleConnections() }

func (p *publisher) wait() { p.wg.Wait() }

// run publishes at rate events/s for d over the run's feeds (round-robin),
// and to the shared feed at SharedRate, and returns how many it sent.
func (p *publisher) run(ctx context.Context, rate float64, d time.Duration, step int32) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	sched := func(rate float64, pick func() *feedInfo) {
		defer wg.Done()
		total := int64(rate * d.Seconds())
		start := time.Now()
		for i := range total {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if w := time.Until(at); w > 0 {
				if !sleep(ctx, w) {
					return
				}
			}
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if lag := time.Since(at); lag > 0 {
				for {
					m := p.r.lagMax.Load()
					if int64(lag) <= m || p.r.lagMax.CompareAndSwap(m, int64(lag)) {
						break
					}
				}
			}
			n.Add(1)
			p.r.published.Add(1)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer func() { <-p.sem }()
				p.post(ctx, pick(), at, step)
			}()
		}
	}
	wg.Add(1)
	go sched(rate, func() *feedInfo {
		return p.r.feeds[int(p.rr.Add(1)-1)%len(p.r.feeds)]
	})
	if p.r.shared != nil && p.r.cfg.SharedRate > 0 {
		wg.Add(1)
		go sched(p.r.cfg.SharedRate, func() *feedInfo { return p.r.shared })
	}
	wg.Wait()
	return n.Load()
}

// prefill posts n warm-up posts to each feed (shared included), a few at a
// time, before any client connects.
func (p *publisher) prefill(ctx context.Context, n int) {
	feeds := p.r.feeds
	if p.r.shared != nil {
		feeds = append(feeds[:len(feeds):len(feeds)], p.r.shared)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.r.cfg.Publishers)
	for _, f := range feeds {
		for range n {
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				p.post(ctx, f, time.Now(), -1)
			}()
		}
	}
	wg.Wait()
}

// post sends one post stamped with at; step < 0 marks a warm-up post.
func (p *publisher) post(ctx context.Context, f *feedInfo, at time.Time, step int32) {
	r := p.r
	seq := p.seq.Add(1)
	body := `{"op":"b` + r.id + "-" + strconv.FormatUint(seq, 10) + `","text":"` + makeText(at, step, seq, r.cfg.Payload) + `"}`
	req, _ := http.NewRequestWithContext(ctx, "POST", r.base+"/api/feeds/"+f.name+"/posts", bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		r.pubErrs.Add(1)
		r.errorf("post: %v", err)
		return
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.pubErrs.Add(1)
		r.errorf("post: HTTP %d: %.200s", resp.StatusCode, b)
		return
	}
	pos, ok := uintField(b, keyPos)
	if !ok {
		r.pubErrs.Add(1)
		r.errorf("post: no pos in %.200s", b)
		return
	}
	if step < 0 {
		return // warm-up: before any client subscribed
	}
	d := time.Since(at)
	r.ack.record(d)
	if int(step) < len(r.stepAcks) {
		r.stepAcks[step].record(d)
	}
	r.acked.Add(1)
	f.mu.Lock()
	f.pos = append(f.pos, pos)
	f.mu.Unlock()
}

func download(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
