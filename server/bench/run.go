//go:build linux

package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/app/session"
)

// run is the state of one run.
type run struct {
	cfg    *Config
	base   string // http://host:port
	host   string
	id     string
	tokens []string
	feeds  []*feedInfo
	shared *feedInfo
	ips    []*net.TCPAddr

	clients  []*client
	reactors []*reactor

	lat, ack, conn, recon hist
	fromLog               hist
	stepHists, stepAcks   []*hist
	step                  atomic.Int32

	delivered atomic.Uint64
	messages  atomic.Uint64
	bytes     atomic.Uint64
	resumed   atomic.Int64
	histGone  atomic.Int64
	reconns   atomic.Int64
	reconFail atomic.Int64
	connFail  atomic.Int64
	retries   atomic.Int64
	closesMu  sync.Mutex
	closes    map[string]int64

	published atomic.Int64
	acked     atomic.Int64
	pubErrs   atomic.Int64
	lagMax    atomic.Int64 // ns
	errsMu    sync.Mutex
	errs      []string

	stopping atomic.Bool
	stopped  chan struct{} // closed when teardown gives up on a client
	wg       sync.WaitGroup
}

type feedInfo struct {
	name string
	subs int // clients following it
	mu   sync.Mutex
	pos  []uint64 // acknowledged positions
}

func (f *feedInfo) ackedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pos)
}

func (r *run) errorf(format string, a ...any) {
	r.errsMu.Lock()
	defer r.errsMu.Unlock()
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, a...))
	}
}

func (r *run) logf(format string, a ...any) {
	fmt.Fprintf(r.cfg.Log, "bench: "+format+"\n", a...)
}

func (r *run) countClose(key string) {
	r.closesMu.Lock()
	r.closes[key]++
	r.closesMu.Unlock()
}

// Run performs one run and returns its result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Defaults()
	// The harness allocates little but holds many small buffers; keep the
	// GC from running every few milliseconds.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout+2*cfg.WaitQuiet)
	defer cancel()
	r := &run{cfg: &cfg, id: strconv.FormatInt(time.Now().UnixNano()%1e12, 36), closes: map[string]int64{}, stopped: make(chan struct{})}
	res := &Result{
		Scenario: cfg.Scenario, Target: cfg.Target, Clients: cfg.Clients, Feeds: cfg.Feeds, Shared: cfg.Shared,
		SubsPerFeed: cfg.Clients / cfg.Feeds, Users: cfg.Users, PayloadBytes: cfg.Payload, Mode: cfg.Mode, Posts: cfg.Posts,
		Rate: cfg.Rate, Sync: cfg.Sync,
	}
	if res.Sync == "" {
		res.Sync = "group (server default)"
	}
	if cfg.Mode != "live" && cfg.Mode != "snapshot" {
		return nil, fmt.Errorf("mode %q: want live or snapshot", cfg.Mode)
	}
	switch cfg.Target {
	case targetLivefeed:
	case targetCentrifugo:
		if err := checkCentrifugo(&cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("target %q: want livefeed or centrifugo", cfg.Target)
	}
	if cfg.Feeds > 9000 {
		return nil, errors.New("at most 9000 feeds (the server holds 10,000)")
	}
	if cfg.Clients > 60000 {
		return nil, errors.New("at most 60,000 clients")
	}
	nofile, err := raiseNoFile()
	if err != nil {
		return nil, fmt.Errorf("raise open-file limit: %w", err)
	}
	if need := uint64(cfg.Clients + 256); nofile < need {
		return nil, fmt.Errorf("open-file limit %d is below the %d this run needs (raise the hard limit: ulimit -Hn)", nofile, need)
	}

	// The server.
	pid := cfg.ServerPID
	if cfg.Server == "" {
		ch, err := startServer(ctx, &cfg, cfg.ServerLog)
		if err != nil {
			return nil, err
		}
		defer ch.stop()
		r.base = "http://" + ch.addr
		pid = ch.pid
		res.Server.CPUs = cfg.ServerCPUs
		r.logf("started server pid %d on %s (cpus %q)", pid, ch.addr, cfg.ServerCPUs)
	} else {
		u, err := url.Parse(cfg.Server)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--server %q: want http://127.x.y.z:port", cfg.Server)
		}
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() == "localhost" {
			ip = net.IPv4(127, 0, 0, 1)
		}
		if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
			return nil, fmt.Errorf("--server %q: the harness only sends traffic to 127.0.0.0/8", cfg.Server)
		}
		r.base = "http://" + u.Host
	}
	r.host = strings.TrimPrefix(r.base, "http://")
	res.Server.PID = pid
	res.Loadgen.BusyPoll = cfg.BusyPoll
	if cfg.Nice != 0 {
		if err := setNiceThreads(cfg.Nice); err != nil {
			return nil, fmt.Errorf("nice: %w", err)
		}
		res.Loadgen.Nice = cfg.Nice
	}
	if cfg.LoadCPUs != "" {
		if err := PinSelf(cfg.LoadCPUs); err != nil {
			return nil, fmt.Errorf("pin load generator: %w", err)
		}
		res.Loadgen.CPUs = cfg.LoadCPUs
	}
	srv := func() procStats {
		if pid == 0 {
			return procStats{}
		}
		st, err := readProc(pid)
		if err != nil {
			r.errorf("read /proc/%d: %v", pid, err)
		}
		return st
	}

	// The reactors that read the clients' sockets: one per CPU the
	// harness may use.
	for range max(1, runtime.GOMAXPROCS(0)) {
		re, err := newReactor(cfg.BusyPoll)
		if err != nil {
			return nil, fmt.Errorf("epoll: %w", err)
		}
		defer re.close()
		r.reactors = append(r.reactors, re)
	}

	// Source addresses.
	if cfg.SourceIPs > 1 {
		for i := range cfg.SourceIPs {
			r.ips = append(r.ips, &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i))})
		}
	}
	res.Connect.SourceIPs = max(cfg.SourceIPs, 1)

	// Feeds and identities.
	for i := range cfg.Feeds {
		r.feeds = append(r.feeds, &feedInfo{name: fmt.Sprintf("%s%d", cfg.FeedPrefix, i)})
	}
	if cfg.Shared {
		r.shared = &feedInfo{name: "shared"}
	}
	pub, err := newPublisher(r)
	if err != nil {
		return nil, err
	}
	defer pub.close()
	if cfg.Target == targetCentrifugo {
		r.tokens = make([]string, cfg.Users)
		for i := range r.tokens {
			r.tokens[i] = centrifugoToken(cfg.CentrifugoSecret, fmt.Sprintf("bench-%d", i), time.Now())
		}
	} else if err := r.signIn(ctx); err != nil {
		return nil, err
	} else if err := pub.login(ctx); err != nil {
		return nil, err
	} else {
		// Warm the log up (the first append creates the stream's files).
		pub.post(ctx, r.feeds[0], time.Now(), -1)
	}
	if cfg.Posts > 0 {
		r.logf("posting %d posts to each of %d feeds", cfg.Posts, len(r.feeds))
		pub.prefill(ctx, cfg.Posts)
	}

	// Connect.
	if cfg.WaitQuiet > 0 {
		waitQuiet(ctx, pid, cfg.QuietPercent, cfg.WaitQuiet, r.logf)
	}
	before := srv()
	gm0, haveGo := scrapeGoMem(ctx, r.base)
	if haveGo {
		res.Server.GoBefore = &gm0
	}
	res.Server.RSSBeforeMB = round1(float64(before.RSSKB) / 1024)
	r.logf("connecting %d clients (%d feeds, %d identities, %d source IPs)", cfg.Clients, cfg.Feeds, cfg.Users, res.Connect.SourceIPs)
	var connProf chan struct{}
	if cfg.ProfileDir != "" && cfg.PprofAddr != "" && cfg.ConnectProfile > 0 {
		connProf = make(chan struct{})
		go func() {
			defer close(connProf)
			fetchProfileURL(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", cfg.PprofAddr, max(int(cfg.ConnectProfile.Seconds()), 1)),
				cfg.ProfileDir, cfg.Scenario+"-connect-cpu.pb.gz", r)
		}()
	}
	c0, lc0, m0 := srv().CPU, pidCPU(os.Getpid()), machineBusy()
	t0 := time.Now()
	r.connectAll(ctx)
	connSecs := time.Since(t0).Seconds()
	c1, lc1, m1 := srv().CPU, pidCPU(os.Getpid()), machineBusy()
	res.Connected = r.connectedCount()
	res.Connect.Seconds = round3(connSecs)
	res.Connect.RatePerSec = round1(float64(res.Connected) / connSecs)
	res.Connect.Failures = r.connFail.Load()
	res.Connect.Retries = r.retries.Load()
	res.Connect.Latency = r.conn.summary()
	if res.Connected > 0 {
		n := float64(res.Connected)
		res.Connect.ServerCPUMS = round3((c1 - c0) * 1000 / n)
		res.Connect.LoadgenCPUMS = round3((lc1 - lc0) * 1000 / n)
		res.Connect.OtherCPUPercent = round1(max(0, (m1-m0)-(c1-c0)-(lc1-lc0)) / connSecs * 100)
	}
	r.logf("connected %d in %.1fs; settling %s", res.Connected, connSecs, cfg.Settle)
	if connProf != nil {
		<-connProf
	}
	if !sleep(ctx, cfg.Settle) {
		return nil, ctx.Err()
	}
	after := srv()
	res.Server.RSSAfterConnectMB = round1(float64(after.RSSKB) / 1024)
	if res.Connected > 0 {
		res.Server.RSSPerConnKB = round1(float64(after.RSSKB-before.RSSKB) / float64(res.Connected))
	}
	res.Server.Threads = after.Threads
	if gm, ok := scrapeGoMem(ctx, r.base); ok && haveGo && res.Connected > 0 {
		n := float64(res.Connected)
		gm.HeapPerConnKB = round1((gm.HeapAllocMB - gm0.HeapAllocMB) * 1024 / n)
		gm.StackPerConnKB = round1((gm.StackInuseMB - gm0.StackInuseMB) * 1024 / n)
		gm.GoroutinesPerConn = round3(float64(gm.Goroutines-gm0.Goroutines) / n)
		res.Server.GoConnected = &gm
	}
	if cfg.ProfileDir != "" && cfg.PprofAddr != "" {
		fetchProfile(ctx, cfg.PprofAddr, "heap", cfg.ProfileDir, cfg.Scenario+"-heap-connected.pb.gz", r)
	}

	if cfg.Hold > 0 {
		r.logf("holding %d idle connections for %s", res.Connected, cfg.Hold)
		c0 := srv().CPU
		if !sleep(ctx, cfg.Hold) {
			return nil, ctx.Err()
		}
		res.Server.IdleCPUPercent = round1((srv().CPU - c0) / cfg.Hold.Seconds() * 100)
	}

	// Publish.
	rates := cfg.Rates
	if len(rates) == 0 && cfg.Rate > 0 && cfg.Duration > 0 {
		rates = []float64{cfg.Rate}
	}
	// The quiet wait comes first, so that the profile covers the publishing
	// and not the wait.
	if cfg.WaitQuiet > 0 && len(rates) > 0 {
		waitQuiet(ctx, pid, cfg.QuietPercent, cfg.WaitQuiet, r.logf)
	}
	var profDone chan struct{}
	if len(rates) > 0 && cfg.ProfileDir != "" && cfg.PprofAddr != "" {
		secs := int(math.Ceil((time.Duration(len(rates)) * cfg.Duration).Seconds()))
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			fetchProfileURL(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", cfg.PprofAddr, max(secs, 1)),
				cfg.ProfileDir, cfg.Scenario+"-cpu.pb.gz", r)
		}()
	}
	cpu0 := srv().CPU
	load0, _ := readProc(os.Getpid())
	mach0 := machineBusy()
	// Allocated before any client may look at them.
	for range rates {
		r.stepHists = append(r.stepHists, &hist{})
		r.stepAcks = append(r.stepAcks, &hist{})
	}
	pubStart := time.Now()
	var lastDeliver time.Time
	for si, rate := range rates {
		h, ah := r.stepHists[si], r.stepAcks[si]
		a0 := r.acked.Load()
		r.step.Store(int32(si))
		slow0 := r.closeCount("4001")
		d0 := r.delivered.Load()
		sc0 := srv().CPU
		st := time.Now()
		r.lagMax.Store(0)
		r.logf("publishing %.0f events/s for %s to %d subscribers", rate, cfg.Duration, res.Connected)
		var stormDone chan struct{}
		if cfg.Storm && si == 0 {
			stormDone = make(chan struct{})
			go func() { defer close(stormDone); r.storm(ctx, res) }()
		}
		n := pub.run(ctx, rate, cfg.Duration, int32(si))
		if stormDone != nil {
			<-stormDone
		}
		lastDeliver = r.drain(ctx, pub)
		el := lastDeliver.Sub(st).Seconds()
		if el <= 0 {
			el = time.Since(st).Seconds()
		}
		step := Step{
			Rate: rate, Events: n, Delivered: r.delivered.Load() - d0,
			Lost: r.expectedTotal() - min(r.expectedTotal(), r.delivered.Load()), SlowConsumers: r.closeCount("4001") - slow0,
			Latency: h.summary(), ServerCPUPercent: round1((srv().CPU - sc0) / time.Since(st).Seconds() * 100),
			PublishLagMS: round3(float64(r.lagMax.Load()) / 1e6),
			Acked:        r.acked.Load() - a0, AckLatency: ah.summary(),
		}
		step.AckedPerSec = round1(float64(step.Acked) / time.Since(st).Seconds())
		step.DeliveriesPerSec = round1(float64(step.Delivered) / el)
		if len(cfg.Rates) > 0 {
			res.Steps = append(res.Steps, step)
			r.logf("step %.0f/s: p99 %.1f ms, lost %d, slow %d", rate, step.Latency.P99, step.Lost, step.SlowConsumers)
			if step.Latency.P99 > float64(cfg.RampMaxP99.Milliseconds()) || step.Lost > 0 || step.SlowConsumers > 0 {
				break
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	pubSecs := time.Since(pubStart).Seconds()
	if len(rates) > 0 && !lastDeliver.IsZero() {
		pubSecs = lastDeliver.Sub(pubStart).Seconds()
	}
	cpu1 := srv().CPU
	load1, _ := readProc(os.Getpid())
	mach1 := machineBusy()
	if profDone != nil {
		<-profDone
	}
	if cfg.ProfileDir != "" && cfg.PprofAddr != "" {
		fetchProfile(ctx, cfg.PprofAddr, "heap", cfg.ProfileDir, cfg.Scenario+"-heap-end.pb.gz", r)
	}

	if cfg.PageLoads > 0 {
		res.Page = r.pageLoads(ctx, cfg.PageLoads) // pageloads.go
	}

	// Tear down and count.
	end := srv()
	r.stopAll()
	res.DurationS = round3(pubSecs)
	res.Events = r.published.Load()
	res.Acked = r.acked.Load()
	res.PublishErrors = r.pubErrs.Load()
	res.PublishLagMS = round3(float64(r.lagMax.Load()) / 1e6)
	r.tally(res)
	res.Latency = r.lat.summary()
	res.FromLog = r.fromLog.summary()
	res.AckLatency = r.ack.summary()
	if pubSecs > 0 && len(rates) > 0 {
		res.DeliveriesPerSec = round1(float64(res.Delivered) / pubSecs)
		res.Server.CPUSeconds = round3(cpu1 - cpu0)
		res.Server.CPUPercent = round1((cpu1 - cpu0) / pubSecs * 100)
		res.Server.OtherCPUPercent = round1(max(0, (mach1-mach0)-(cpu1-cpu0)-(load1.CPU-load0.CPU)) / pubSecs * 100)
		if res.Delivered > 0 {
			res.Server.CPUSecPerMillionDeliver = round3((cpu1 - cpu0) / (float64(res.Delivered) / 1e6))
		}
	}
	res.Server.RSSEndMB = round1(float64(end.RSSKB) / 1024)
	res.Loadgen.CPUSeconds = round3(load1.CPU - load0.CPU)
	res.Loadgen.RSSMB = round1(float64(load1.RSSKB) / 1024)
	res.Loadgen.Messages = r.messages.Load()
	res.Loadgen.MB = round1(float64(r.bytes.Load()) / (1 << 20))
	if len(r.closes) > 0 {
		res.Closes = r.closes
	}
	res.Errors = r.errs
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *run) closeCount(key string) int64 {
	r.closesMu.Lock()
	defer r.closesMu.Unlock()
	return r.closes[key]
}

// signIn gets cfg.Users tokens.
func (r *run) signIn(ctx context.Context) error {
	r.tokens = make([]string, r.cfg.Users)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	sem := make(chan struct{}, 16)
	for i := range r.tokens {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t, err := session.SignIn(ctx, r.base, fmt.Sprintf("bench-%d", i))
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			r.tokens[i] = t
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	return nil
}

// expectedTotal is the number of deliveries the acknowledged events call
// for: every acknowledged event once to every client following its feed.
func (r *run) expectedTotal() uint64 {
	var n uint64
	for _, f := range r.feeds {
		n += uint64(f.ackedCount()) * uint64(f.subs)
	}
	if r.shared != nil {
		n += uint64(r.shared.ackedCount()) * uint64(r.shared.subs)
	}
	return n
}

// drain waits until every expected delivery arrived or deliveries stopped
// for cfg.Drain, and returns when the last delivery arrived.
func (r *run) drain(ctx context.Context, pub *publisher) time.Time {
	pub.wait()
	last := time.Now()
	prev := r.delivered.Load()
	for {
		d := r.delivered.Load()
		if d >= r.expectedTotal() {
			return time.Now()
		}
		if d != prev {
			prev, last = d, time.Now()
		}
		if time.Since(last) > r.cfg.Drain || !sleep(ctx, 5*time.Millisecond) {
			return last
		}
	}
}

// tally computes the per-client continuity figures.
func (r *run) tally(res *Result) {
	for _, fi := range append(append([]*feedInfo{}, r.feeds...), r.shared) {
		if fi != nil {
			fi.mu.Lock()
			sort.Slice(fi.pos, func(i, j int) bool { return fi.pos[i] < fi.pos[j] })
			fi.mu.Unlock()
		}
	}
	for _, c := range r.clients {
		if c == nil {
			continue
		}
		for i := range c.feeds {
			fs := &c.feeds[i]
			if !fs.subscribed {
				continue
			}
			// Acknowledged events after the subscription point.
			fs.info.mu.Lock()
			k := sort.Search(len(fs.info.pos), func(j int) bool { return fs.info.pos[j] > fs.subPos })
			exp := uint64(len(fs.info.pos) - k)
			fs.info.mu.Unlock()
			got := fs.delivered.Load()
			res.Expected += exp
			res.Delivered += got
			if !fs.reset.Load() && exp > got {
				res.Lost += exp - got
			}
			res.Duplicated += fs.dup.Load()
			res.OutOfOrder += fs.ooo.Load()
			res.Gaps += fs.gaps.Load()
		}
	}
}

// storm drops a fraction of the clients and lets them reconnect and resume.
func (r *run) storm(ctx context.Context, res *Result) {
	if !sleep(ctx, r.cfg.StormAt) {
		return
	}
	n := int(math.Round(float64(len(r.clients)) * r.cfg.StormFraction))
	perm := rand.Perm(len(r.clients))[:n]
	r.logf("storm: dropping %d clients", n)
	st := &StormStats{Dropped: n}
	res.Storm = st
	r0, f0, h0 := r.reconns.Load(), r.reconFail.Load(), r.histGone.Load()
	res0 := r.resumed.Load()
	for _, i := range perm {
		if c := r.clients[i]; c != nil {
			c.drop(r.cfg.StormSpread)
		}
	}
	// Wait for them to come back (bounded).
	deadline := time.Now().Add(r.cfg.StormSpread + 60*time.Second)
	for r.reconns.Load()-r0+r.reconFail.Load()-f0 < int64(n) && time.Now().Before(deadline) {
		if !sleep(ctx, 10*time.Millisecond) {
			break
		}
	}
	st.Reconnected = r.reconns.Load() - r0
	st.Failures = r.reconFail.Load() - f0
	st.HistoryGone = r.histGone.Load() - h0
	st.Resumed = r.resumed.Load() - res0
	st.Reconnect = r.recon.summary()
}

// fetchProfile saves /debug/pprof/NAME of the server.
func fetchProfile(ctx context.Context, addr, name, dir, file string, r *run) {
	fetchProfileURL(ctx, "http://"+addr+"/debug/pprof/"+name, dir, file, r)
}

func fetchProfileURL(ctx context.Context, u, dir, file string, r *run) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		r.errorf("profile dir: %v", err)
		return
	}
	if err := download(ctx, u, dir+"/"+file); err != nil {
		r.errorf("profile %s: %v", u, err)
	}
}

// connectedCount is the number of clients that subscribed.
func (r *run) connectedCount() int {
	n := 0
	for _, c := range r.clients {
		if c != nil && c.ready.Load() {
			n++
		}
	}
	return n
}
