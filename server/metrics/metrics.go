// Package metrics exposes a node's counters and histograms in the Prometheus
// format on /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"livefeed/server/feed"
	"livefeed/server/gateway"
	"livefeed/server/hub"
)

// Histograms are observed on the hot path; create them before the feed
// service and pass their Observe methods to feed.Config.
type Histograms struct {
	Fanout prometheus.Histogram // append (log time) to hand-over to the hub
	Append prometheus.Histogram // durable log append
}

// NewHistograms returns the histograms.
func NewHistograms() *Histograms {
	buckets := prometheus.ExponentialBuckets(0.0001, 2, 16) // 100 µs .. 3.3 s
	return &Histograms{
		Fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "livefeed_publish_to_fanout_seconds", Help: "Time from an event's append to the log until it is handed to the hub's fan-out.", Buckets: buckets,
		}),
		Append: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "livefeed_log_append_seconds", Help: "Duration of durable log appends.", Buckets: buckets,
		}),
	}
}

// ObserveFanout records a fan-out latency.
func (h *Histograms) ObserveFanout(d time.Duration) { h.Fanout.Observe(d.Seconds()) }

// ObserveAppend records an append duration.
func (h *Histograms) ObserveAppend(d time.Duration) { h.Append.Observe(d.Seconds()) }

// Handler returns the /metrics handler for one node.
func Handler(h *Histograms, gw *gateway.Gateway, svc *feed.Service, hb *hub.Hub) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(h.Fanout, h.Append)
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livefeed_connections", Help: "Open WebSocket connections."},
			func() float64 { return float64(gw.Conns()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livefeed_subscriptions", Help: "Feed subscriptions on this node."},
			func() float64 { return float64(hb.Subscribers()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livefeed_log_applied_position", Help: "Last log position applied to the view."},
			func() float64 { return float64(svc.View().Applied()) }),
		counter("livefeed_accepts_total", "WebSocket upgrades accepted.", &gw.Stats.Accepted),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livefeed_accept_peak_per_100ms", Help: "Most upgrades accepted within one 100 ms interval since the start."},
			func() float64 { return float64(gw.Stats.AcceptPeak.Load()) }),
		counter("livefeed_refused_total", "Upgrades sent away (shutting down, over the connection cap or accept rate).", &gw.Stats.Refused),
		counter("livefeed_slow_consumer_cuts_total", "Connections cut because their send queue overflowed.", &gw.Stats.SlowConsumers),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "livefeed_fanout_overflows_total", Help: "Times a feed's fan-out fell hub.MaxFanoutWindow behind and dropped events, which its subscribers then caught up on from the feed service."},
			func() float64 { return float64(hb.Overflows()) }),
		counter("livefeed_socket_full_total", "Sends that found a socket's kernel send buffer full and were queued for its writer goroutine.", &gw.Stats.SocketFull),
		counter("livefeed_actions_total", "Actions applied.", &svc.Stats.Actions),
		counter("livefeed_actions_duplicate_total", "Actions acknowledged as duplicates (resends).", &svc.Stats.Duplicates),
		counter("livefeed_actions_rejected_total", "Actions refused by validation.", &svc.Stats.Rejected),
		counter("livefeed_append_conflicts_total", "Appends that lost a race with another node and were validated again.", &svc.Stats.Conflicts),
		counter("livefeed_resumes_total", "Resume subscriptions.", &svc.Stats.Resumes),
		counter("livefeed_history_gone_total", "Resumes answered with history_gone and a snapshot.", &svc.Stats.HistoryGone),
		counter("livefeed_replayed_events_total", "Events replayed to resuming clients.", &svc.Stats.Replayed),
		counter("livefeed_snapshots_total", "Snapshots sent.", &svc.Stats.Snapshots),
		closes{gw},
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// closes reports connection closes by close code.
type closes struct{ gw *gateway.Gateway }

var closesDesc = prometheus.NewDesc("livefeed_closes_total", "Connections closed, by WebSocket close code (-1: no close frame).", []string{"code"}, nil)

func (c closes) Describe(ch chan<- *prometheus.Desc) { ch <- closesDesc }

func (c closes) Collect(ch chan<- prometheus.Metric) {
	c.gw.Stats.Closed.Range(func(k, v any) bool {
		ch <- prometheus.MustNewConstMetric(closesDesc, prometheus.CounterValue, float64(v.(*atomic.Int64).Load()), strconv.Itoa(k.(int)))
		return true
	})
}
