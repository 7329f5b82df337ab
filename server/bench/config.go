// Package bench is Livefeed's load generator: it starts (or targets) a
// server, connects many native WebSocket clients to it, subscribes them to
// feeds, publishes events open-loop at a fixed rate with the send time
// stamped in each post, and reports delivery, continuity, latency, and the
// server's memory and CPU as one JSON object. `livefeed bench` is its command
// line; docs/performance.md describes the scenarios and their results.
//
// Traffic goes only to 127.0.0.0/8. The run is bounded in clients, events
// and time (Config.Timeout).
package bench

import (
	"io"
	"time"
)

// Config describes one run. Zero values take the defaults of Defaults.
type Config struct {
	// Scenario names the run in the output.
	Scenario string

	// Target is the kind of server: "livefeed" (default) or "centrifugo"
	// (connects only, to a Centrifugo at Server; see centrifugo.go).
	Target string
	// CentrifugoSecret is the Centrifugo's client.token.hmac_secret_key.
	CentrifugoSecret string

	// Server is the URL of a running server (http://127.x.y.z:port). Empty:
	// the harness starts ServerBin serve itself, with a fresh data
	// directory, and stops it at the end.
	Server string
	// ServerPID is the pid of the server at Server, for its RSS and CPU.
	ServerPID int
	// ServerBin is the livefeed binary to start (default: this executable).
	ServerBin string
	// ServerArgs are extra flags for serve.
	ServerArgs []string
	// DataDir is the parent of the started server's data directory
	// (default: a temporary directory, removed afterwards).
	DataDir string
	// Sync is the started server's --sync (default: its own default,
	// "group").
	Sync string
	// PprofAddr is passed to the started server as --pprof.
	PprofAddr string
	// ProfileDir, with PprofAddr, receives the server's CPU profile of the
	// measured phase and heap profiles after connecting and at the end.
	ProfileDir string
	// ConnectProfile, with ProfileDir, is the length of a CPU profile of
	// the server taken from the start of the connection phase
	// (SCENARIO-connect-cpu.pb.gz); make it shorter than the phase.
	ConnectProfile time.Duration

	// ServerCPUs and LoadCPUs pin the started server and the load generator
	// to CPUs (taskset list syntax, e.g. "0" and "1"). Empty: not pinned.
	ServerCPUs string
	LoadCPUs   string
	// Nice, when not 0, is the nice value (-20..19) of the started server
	// and of the load generator: on a machine shared with other work a
	// negative value keeps that work from disturbing the measurement (it
	// needs the privilege to raise priority).
	Nice int
	// ServerGOMAXPROCS sets GOMAXPROCS for the started server (0: Go's
	// default, the number of CPUs it is pinned to).
	ServerGOMAXPROCS int

	// PageLoads, when not 0, is how many times the first feed's page is
	// fetched as a signed-in reader after publishing (Result.Page: the
	// prerendered first paint's size and time to its first post).
	PageLoads int

	// Clients is the number of WebSocket connections.
	Clients int
	// Feeds is the number of feeds the clients are spread over: client i
	// follows feed i % Feeds (so SubsPerFeed = Clients / Feeds).
	Feeds int
	// Shared makes every client also follow the feed "shared", published
	// to at SharedRate.
	Shared     bool
	SharedRate float64
	// FeedPrefix names the feeds: prefix + index (default "bench").
	FeedPrefix string
	// Mode is how each client subscribes in its hello: "live" (default:
	// no history), or "snapshot" (the feed's newest posts first, see
	// Posts).
	Mode string
	// Posts is how many posts of Payload bytes each feed gets before the
	// clients connect, so that a snapshot subscription has something to
	// carry (at most protocol.MaxSnapshotPosts are sent).
	Posts int
	// Users is how many identities the clients sign in as (round-robin).
	// Presence counts users and lists up to protocol.MaxPresenceList of
	// them, so this sets how often presence changes while connecting.
	Users int

	// Payload is the size of each post's text in bytes (at least the
	// stamp, about 40 bytes).
	Payload int
	// Rate is events per second over the Feeds (round-robin), open-loop.
	Rate float64
	// Duration of publishing at Rate (one step when Rates is set).
	Duration time.Duration
	// Rates, when set, is a saturation ramp: publish at each rate for
	// Duration and stop after the first step whose p99 exceeds RampMaxP99
	// or that loses events or cuts a slow consumer.
	Rates      []float64
	RampMaxP99 time.Duration

	// Hold keeps the clients connected and idle this long after they
	// connected (idle-capacity runs), measuring the server's idle CPU.
	Hold time.Duration
	// Settle is the pause between connecting and reading the server's RSS.
	Settle time.Duration

	// Storm drops StormFraction of the clients at StormAt into publishing;
	// each reconnects after a delay drawn uniformly from [0, StormSpread]
	// and resumes from its last position.
	Storm         bool
	StormAt       time.Duration
	StormFraction float64
	StormSpread   time.Duration

	// ConnectConcurrency is how many connections are being opened at once.
	ConnectConcurrency int
	// SourceIPs is how many 127.0.0.x source addresses the clients use
	// (0: one per 15,000 clients; 1: the kernel's choice).
	SourceIPs int
	// Publishers is how many HTTP connections publish (the HTTP API has no
	// per-connection rate limit, unlike WebSocket actions).
	Publishers int
	// MaxInflight bounds unanswered posts; beyond it the publisher falls
	// behind its schedule (reported as publish_lag_ms; the stamp stays the
	// scheduled time, so latency includes the lag).
	MaxInflight int
	// Drain is how long to wait for deliveries to stop changing after the
	// last post.
	Drain time.Duration
	// Timeout bounds the whole run.
	Timeout time.Duration
	// WaitQuiet, when > 0, waits (at most this long) before connecting and
	// before publishing until the machine's other processes use under
	// QuietPercent of a CPU: the figures are only worth something on a
	// machine that does nothing else.
	WaitQuiet    time.Duration
	QuietPercent float64
	// BusyPoll makes the load generator poll its sockets without sleeping.
	// On loopback the sender pays for waking the receiver: when the load
	// generator's CPU sleeps, every write of the server includes an
	// inter-processor interrupt (a VM exit on a virtual machine), a cost a
	// server does not pay towards clients on other machines. With BusyPoll
	// the load generator's CPU never sleeps, which removes that artefact
	// from the server's figures (and makes the load generator use its
	// whole CPU).
	BusyPoll bool
	// ReadBuffer is each client's read buffer in bytes.
	ReadBuffer int
	// Transport is how the clients connect: "ws" (default: raw WebSockets
	// on the harness's reactors), or "stream" or "poll", the HTTP
	// transport of the session (app/session, a goroutine per client).
	Transport string

	// Log receives progress lines (nil: discarded); ServerLog the started
	// server's output.
	Log       io.Writer
	ServerLog io.Writer
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Scenario == "" {
		c.Scenario = "custom"
	}
	if c.Clients <= 0 {
		c.Clients = 1000
	}
	if c.Feeds <= 0 {
		c.Feeds = 1
	}
	if c.FeedPrefix == "" {
		c.FeedPrefix = "bench"
	}
	if c.Users <= 0 {
		// At most 20 connections per user: the gateway caps them at
		// gateway.MaxConnsPerUser.
		c.Users = max(min(c.Clients, 100), (c.Clients+19)/20)
	}
	if c.Payload <= 0 {
		c.Payload = 100
	}
	if c.RampMaxP99 <= 0 {
		c.RampMaxP99 = 250 * time.Millisecond
	}
	if c.Settle <= 0 {
		c.Settle = 3 * time.Second
	}
	if c.StormFraction <= 0 {
		c.StormFraction = 1
	}
	if c.StormAt <= 0 {
		c.StormAt = c.Duration / 3
	}
	if c.ConnectConcurrency <= 0 {
		c.ConnectConcurrency = 64
	}
	if c.SourceIPs <= 0 {
		c.SourceIPs = (c.Clients + 14999) / 15000
	}
	if c.Publishers <= 0 {
		c.Publishers = 16
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = 1024
	}
	if c.Drain <= 0 {
		c.Drain = 3 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.QuietPercent <= 0 {
		c.QuietPercent = 10
	}
	if c.Transport == "" {
		c.Transport = "ws"
	}
	if c.Mode == "" {
		c.Mode = "live"
	}
	if c.Target == "" {
		c.Target = targetLivefeed
	}
	if c.ReadBuffer <= 0 {
		c.ReadBuffer = 4096
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.ServerLog == nil {
		c.ServerLog = io.Discard
	}
}

// Result is the harness's report, printed as one JSON object.
type Result struct {
	Scenario     string  `json:"scenario"`
	Target       string  `json:"target"`
	Clients      int     `json:"clients"`
	Connected    int     `json:"connected"`
	Feeds        int     `json:"feeds"`
	Shared       bool    `json:"shared,omitempty"`
	SubsPerFeed  int     `json:"subs_per_feed"`
	Users        int     `json:"users"`
	Mode         string  `json:"mode"`
	Posts        int     `json:"posts,omitempty"`
	PayloadBytes int     `json:"payload_bytes"`
	Rate         float64 `json:"rate"`
	DurationS    float64 `json:"duration_s"`
	Sync         string  `json:"sync"`

	Events        int64   `json:"events"`
	Acked         int64   `json:"acked"`
	PublishErrors int64   `json:"publish_errors"`
	PublishLagMS  float64 `json:"publish_lag_ms"`
	Expected      uint64  `json:"expected"`
	Delivered     uint64  `json:"delivered"`
	Lost          uint64  `json:"lost"`
	Duplicated    uint64  `json:"duplicated"`
	OutOfOrder    uint64  `json:"out_of_order"`
	Gaps          uint64  `json:"gaps"`

	// Latency is from the scheduled send time stamped in the post to its
	// receipt: the open-loop publish-to-receive latency, including the
	// durable append. FromLog starts at the time the log stored the event
	// (its ts, millisecond resolution, taken before the fsync): the
	// fan-out's share. AckLatency is from the scheduled send time to the
	// publisher's acknowledgement.
	Latency          Latency `json:"latency_ms"`
	FromLog          Latency `json:"from_log_ms"`
	AckLatency       Latency `json:"ack_latency_ms"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`

	Server  ServerStats      `json:"server"`
	Connect ConnectStats     `json:"connect"`
	Loadgen LoadStats        `json:"loadgen"`
	Closes  map[string]int64 `json:"closes,omitempty"`
	Steps   []Step           `json:"steps,omitempty"`
	Storm   *StormStats      `json:"storm,omitempty"`
	Page    *PageStats       `json:"page,omitempty"`
	Errors  []string         `json:"errors,omitempty"`
}

// ServerStats are read from /proc/PID of the server.
type ServerStats struct {
	PID                     int     `json:"pid"`
	CPUs                    string  `json:"cpus,omitempty"`
	RSSBeforeMB             float64 `json:"rss_before_mb"`
	RSSAfterConnectMB       float64 `json:"rss_after_connect_mb"`
	RSSEndMB                float64 `json:"rss_end_mb"`
	RSSPerConnKB            float64 `json:"rss_per_conn_kb"`
	Threads                 int     `json:"threads"`
	IdleCPUPercent          float64 `json:"idle_cpu_percent,omitempty"`
	GoBefore                *goMem  `json:"go_before,omitempty"`
	GoConnected             *goMem  `json:"go_connected,omitempty"`
	CPUSeconds              float64 `json:"cpu_s"`
	CPUPercent              float64 `json:"cpu_percent"`
	CPUSecPerMillionDeliver float64 `json:"cpu_s_per_million_deliveries"`
	// OtherCPUPercent is the CPU (percent of one CPU) that processes other
	// than the server and the harness used while publishing: above a few
	// percent the machine was not quiet and the figures are disturbed.
	OtherCPUPercent float64 `json:"other_cpu_percent"`
}

// ConnectStats describe the connection phase.
type ConnectStats struct {
	Seconds    float64 `json:"seconds"`
	RatePerSec float64 `json:"rate_per_sec"`
	Failures   int64   `json:"failures"`
	Retries    int64   `json:"retries"`
	SourceIPs  int     `json:"source_ips"`
	Latency    Latency `json:"latency_ms"`
	// ServerCPUMS and LoadgenCPUMS are the CPU time (ms) the server and
	// the load generator spent per connection opened, over the whole
	// phase: unlike the rate, they hardly change with the machine's
	// other load.
	ServerCPUMS  float64 `json:"server_cpu_ms_per_conn"`
	LoadgenCPUMS float64 `json:"loadgen_cpu_ms_per_conn"`
	// OtherCPUPercent is what other processes used during the phase
	// (percent of one CPU).
	OtherCPUPercent float64 `json:"other_cpu_percent"`
}

// LoadStats describe the load generator itself.
type LoadStats struct {
	CPUs       string  `json:"cpus,omitempty"`
	Nice       int     `json:"nice,omitempty"`
	BusyPoll   bool    `json:"busy_poll,omitempty"`
	CPUSeconds float64 `json:"cpu_s"`
	RSSMB      float64 `json:"rss_mb"`
	Messages   uint64  `json:"messages"`
	MB         float64 `json:"mb"`
}

// Step is one rate of a saturation ramp.
type Step struct {
	Rate             float64 `json:"rate"`
	Events           int64   `json:"events"`
	Delivered        uint64  `json:"delivered"`
	Lost             uint64  `json:"lost"`
	SlowConsumers    int64   `json:"slow_consumers"`
	Latency          Latency `json:"latency_ms"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	ServerCPUPercent float64 `json:"server_cpu_percent"`
	PublishLagMS     float64 `json:"publish_lag_ms"`
	Acked            int64   `json:"acked"`
	AckedPerSec      float64 `json:"acked_per_sec"`
	AckLatency       Latency `json:"ack_latency_ms"`
}

// StormStats describe a reconnect storm.
type StormStats struct {
	Dropped     int     `json:"dropped"`
	Reconnected int64   `json:"reconnected"`
	Failures    int64   `json:"failures"`
	Resumed     int64   `json:"resumed_events"`
	HistoryGone int64   `json:"history_gone"`
	Reconnect   Latency `json:"reconnect_ms"`
}

// goMem is the server's Go runtime memory, from its Prometheus /metrics (the
// Go collector), when the server exposes it.
type goMem struct {
	HeapInuseMB  float64 `json:"heap_inuse_mb"`
	HeapAllocMB  float64 `json:"heap_alloc_mb"`
	StackInuseMB float64 `json:"stack_inuse_mb"`
	SysMB        float64 `json:"sys_mb"`
	Goroutines   int     `json:"goroutines"`
	// Per connection, over the idle server's figures.
	HeapPerConnKB     float64 `json:"heap_alloc_per_conn_kb,omitempty"`
	StackPerConnKB    float64 `json:"stack_per_conn_kb,omitempty"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn,omitempty"`
}
