package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/server/eventlog"
)

// Publisher receives every event once the view has applied it, in log
// order, with its encoded wire form (encoded once for all subscribers).
type Publisher interface {
	Publish(feed string, pos uint64, msg []byte)
}

// Config configures a Service.
type Config struct {
	// RetainEvents, when > 0, keeps about that many of the newest records
	// in the log: older ones are removed after a snapshot of the view is
	// stored, and clients resuming from before them get history_gone and a
	// snapshot. 0 (the default) keeps every record.
	RetainEvents uint64
	// Node names this node in the compaction lease (see compact.go).
	Node   string
	Logger *slog.Logger
	// ObserveFanout, when set, is called with the time from an event's
	// append (its log time) to its hand-over to the publisher.
	ObserveFanout func(time.Duration)
	// ObserveAppend, when set, is called with the duration of each log
	// append (durable write) made by Do.
	ObserveAppend func(time.Duration)
	// NewFeedRate is how many feeds a user, and a client address (see
	// WithClient), may create an hour: 0 is DefaultNewFeedRate, a
	// negative rate is no limit.
	NewFeedRate float64
}

// Stats are the service's counters.
type Stats struct {
	Actions     atomic.Int64 // actions applied (not counting duplicates)
	Duplicates  atomic.Int64 // actions acknowledged as duplicates of an earlier op
	Rejected    atomic.Int64 // actions refused by validation
	Conflicts   atomic.Int64 // appends that lost a race with another node
	Resumes     atomic.Int64 // resume subscriptions served from the log
	HistoryGone atomic.Int64 // resume subscriptions answered with history_gone
	Replayed    atomic.Int64 // events sent by resumes
	Snapshots   atomic.Int64 // snapshots sent
}

// Service validates actions against the view, appends them to the log, and
// follows the log to keep the view and the subscribers up to date.
type Service struct {
	log  eventlog.Log
	view *View
	pub  Publisher
	cfg  Config
	lg   *slog.Logger

	stripes [writeStripes]stripe // per-feed write locks and pipelines (pipeline.go)

	appliedMu sync.Mutex
	appliedCh chan struct{} // closed and replaced after each apply

	recentMu   sync.Mutex
	recent     [RecentEvents]recentEvent // recently applied events, by seq % RecentEvents
	recentLast uint64                    // seq of the newest entry

	newFeeds *newFeedLimits

	ready      atomic.Bool
	stopped    atomic.Pointer[error] // why Run returned, once it has
	compacting atomic.Bool
	first      atomic.Uint64 // first retained sequence, as last seen
	// compaction's lease (a log shared by several nodes): who this
	// service is, whether it held the lease when it last asked, and when
	// it may ask again after another node held it (Unix nanoseconds).
	holder    string
	holding   atomic.Bool
	leaseNext atomic.Int64

	Stats Stats
}

// Open loads the latest snapshot, if any, and returns a service that has not
// started following the log yet (see Run).
func Open(ctx context.Context, log eventlog.Log, pub Publisher, cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{log: log, view: NewView(), pub: pub, cfg: cfg, lg: cfg.Logger, appliedCh: make(chan struct{}),
		newFeeds: newNewFeedLimits(cfg.NewFeedRate), holder: leaseHolder(cfg.Node)}
	seq, data, err := log.LoadSnapshot(ctx)
	switch {
	case err == nil:
		if err := s.view.Restore(data); err != nil {
			return nil, fmt.Errorf("feed: restore snapshot at %d: %w", seq, err)
		}
	case errors.Is(err, eventlog.ErrNotFound):
	default:
		return nil, fmt.Errorf("feed: load snapshot: %w", err)
	}
	first, _, err := log.Bounds(ctx)
	if err != nil {
		return nil, fmt.Errorf("feed: log bounds: %w", err)
	}
	if first > s.view.Applied()+1 {
		return nil, fmt.Errorf("feed: the log starts at %d but the snapshot ends at %d: records are missing", first, s.view.Applied())
	}
	s.first.Store(first)
	return s, nil
}

// Epoch is the epoch of the service's log (eventlog.Log.Epoch).
func (s *Service) Epoch() string { return s.log.Epoch() }

// View returns the service's view.
func (s *Service) View() *View { return s.view }

// Ready reports whether the view has caught up with the log as it was when
// Run started.
func (s *Service) Ready() bool { return s.ready.Load() }

// Health returns nil when the service takes writes: it has caught up, still
// follows the log, and the log can make appends durable. Else it says why
// not (for /readyz).
func (s *Service) Health() error {
	if p := s.stopped.Load(); p != nil {
		return *p
	}
	if !s.ready.Load() {
		return errors.New("feed: loading the log")
	}
	if h, ok := s.log.(eventlog.HealthReporter); ok {
		return h.Health()
	}
	return nil
}
