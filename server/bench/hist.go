package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a log-linear latency histogram in microseconds: 32 sub-buckets per
// power of two (relative error under 3 %), from 1 µs to about 70 minutes. It
// is safe for concurrent use (atomic counters), so 10,000 client goroutines
// can record into one.
type hist struct {
	counts [histOctaves * histSub]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64 // µs
	max    atomic.Uint64 // µs
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histOctaves = 33
)

func histIndex(us uint64) int {
	if us < histSub {
		return int(us)
	}
	o := bits.Len64(us) - histSubBits // >= 1
	sub := (us >> (o - 1)) & (histSub - 1)
	i := o*histSub + int(sub)
	if i >= histOctaves*histSub {
		i = histOctaves*histSub - 1
	}
	return i
}

// histValue returns the upper bound of bucket i in µs.
func histValue(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	o := i / histSub
	sub := uint64(i % histSub)
	return (histSub | sub + 1) << (o - 1)
}

func (h *hist) record(d time.Duration) {
	us := uint64(max(d, 0) / time.Microsecond)
	h.counts[histIndex(us)].Add(1)
	h.n.Add(1)
	h.sum.Add(us)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// quantile returns the q-quantile in milliseconds.
func (h *hist) quantile(q float64) float64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return math.Min(float64(histValue(i)), float64(h.max.Load())) / 1000
		}
	}
	return float64(h.max.Load()) / 1000
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

func (h *hist) summary() Latency {
	n := h.n.Load()
	l := Latency{Count: n}
	if n == 0 {
		return l
	}
	l.Mean = round3(float64(h.sum.Load()) / float64(n) / 1000)
	l.P50 = round3(h.quantile(0.50))
	l.P90 = round3(h.quantile(0.90))
	l.P99 = round3(h.quantile(0.99))
	l.P999 = round3(h.quantile(0.999))
	l.Max = round3(float64(h.max.Load()) / 1000)
	return l
}

func (h *hist) reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.n.Store(0)
	h.sum.Store(0)
	h.max.Store(0)
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
func round1(f float64) float64 { return math.Round(f*10) / 10 }
