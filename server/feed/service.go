package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"livefeed/server/eventlog"
	"livefeed/shared/protocol"
)

// RecentEvents is how many of the newest events (of all feeds) the service
// keeps in memory, encoded: resumes that fall within them are served without
// reading the log.
const RecentEvents = 4096

type recentEvent struct {
	ev  protocol.Event
	msg []byte
}

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
	Logger       *slog.Logger
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

	locks [256]sync.Mutex // per-feed write locks, striped by feed name

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

	Stats Stats
}

// Open loads the latest snapshot, if any, and returns a service that has not
// started following the log yet (see Run).
func Open(ctx context.Context, log eventlog.Log, pub Publisher, cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{log: log, view: NewView(), pub: pub, cfg: cfg, lg: cfg.Logger, appliedCh: make(chan struct{}),
		newFeeds: newNewFeedLimits(cfg.NewFeedRate)}
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

// Run follows the log until ctx is done, applying every record to the view
// and publishing it.
func (s *Service) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			s.stopped.Store(&err)
		}
	}()
	_, last, err := s.log.Bounds(ctx)
	if err != nil {
		return fmt.Errorf("feed: log bounds: %w", err)
	}
	if s.view.Applied() >= last {
		s.ready.Store(true)
	}
	err = s.log.Follow(ctx, s.view.Applied()+1, func(r eventlog.Record) error {
		s.apply(r)
		if r.Seq >= last {
			s.ready.Store(true)
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("feed: follow log: %w", err)
}

func (s *Service) apply(r eventlog.Record) {
	if r.Seq <= s.view.Applied() {
		return
	}
	ev, err := EventOf(r)
	if err != nil {
		// A record this version cannot read: skip it rather than stop
		// the feed; it is still in the log.
		s.lg.Error("skipping unreadable log record", "seq", r.Seq, "err", err)
		ev = protocol.Event{Feed: r.Feed, Pos: r.Seq, Prev: s.view.FeedLast(r.Feed), Kind: "unknown"}
	}
	if last := s.view.FeedLast(r.Feed); ev.Prev != last {
		s.lg.Warn("record's prev differs from the view", "seq", r.Seq, "prev", ev.Prev, "view", last)
	}
	s.view.apply(ev, r.Time)
	msg := protocol.MustEncode(ev)
	s.recentMu.Lock()
	s.recent[ev.Pos%RecentEvents] = recentEvent{ev, msg}
	s.recentLast = ev.Pos
	s.recentMu.Unlock()
	// Wake the actions waiting for this record (their acks, and the next
	// append of the feed) before handing it to the fan-out: they need not
	// wait for it, and Publish may wait when a feed's fan-out is full.
	s.appliedMu.Lock()
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.appliedMu.Unlock()
	if s.pub != nil {
		s.pub.Publish(ev.Feed, ev.Pos, msg)
	}
	if s.cfg.ObserveFanout != nil && !r.Time.IsZero() {
		s.cfg.ObserveFanout(time.Since(r.Time))
	}
	s.maybeCompact(ev.Pos)
}

// WaitApplied waits until the view has applied seq.
func (s *Service) WaitApplied(ctx context.Context, seq uint64) error {
	for {
		s.appliedMu.Lock()
		ch := s.appliedCh
		s.appliedMu.Unlock()
		if s.view.Applied() >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitFeedMoved waits until the feed's last position differs from last,
// or ctx is done.
func (s *Service) waitFeedMoved(ctx context.Context, feed string, last uint64) {
	for {
		s.appliedMu.Lock()
		ch := s.appliedCh
		s.appliedMu.Unlock()
		if s.view.FeedLast(feed) != last {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Service) lockFor(feed string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(feed))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

// ConflictBudget bounds how long Do keeps retrying an append that lost a
// race with another node writing to the same feed (or that a replicated
// stream refused while an earlier append to the feed was being committed).
const ConflictBudget = 5 * time.Second

// Do validates action a by user u against the view, appends it to the log
// and returns the acknowledgement once the view has applied it. An op id
// already applied returns the first acknowledgement again, with Duplicate
// set. Validation errors are *protocol.Error.
func (s *Service) Do(ctx context.Context, u protocol.User, a protocol.Action) (protocol.Ack, error) {
	mu := s.lockFor(a.Feed)
	mu.Lock()
	defer mu.Unlock()
	begin := time.Now()
	charged := false // for creating a feed, once per call
	for attempt := 0; ; attempt++ {
		if o, ok := s.view.op(u.ID, a.Op); ok {
			s.Stats.Duplicates.Add(1)
			return s.ackOf(ctx, a, o.Seq, true), nil
		}
		rec, perr := s.view.check(u, a)
		if perr != nil {
			s.Stats.Rejected.Add(1)
			perr.Op, perr.Feed = a.Op, a.Feed
			return protocol.Ack{}, perr
		}
		if a.Kind() == protocol.TypePost && !charged && s.view.isNewFeed(a.Feed) {
			charged = true
			if perr := s.newFeeds.take(ctx, u); perr != nil {
				s.Stats.Rejected.Add(1)
				perr.Op, perr.Feed = a.Op, a.Feed
				return protocol.Ack{}, perr
			}
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return protocol.Ack{}, err
		}
		start := time.Now()
		seq, dup, err := s.log.Append(ctx, a.Feed, data, eventlog.AppendOptions{
			ExpectLast: true, LastSeq: rec.Prev, MsgID: opKey(u.ID, a.Op),
		})
		if s.cfg.ObserveAppend != nil {
			s.cfg.ObserveAppend(time.Since(start))
		}
		if errors.Is(err, eventlog.ErrConflict) && time.Since(begin) < ConflictBudget {
			s.Stats.Conflicts.Add(1)
			// Another node appended to this feed first: wait until the
			// view has moved past the position we expected (or a short,
			// growing while: the append that beat us may still be
			// committing), then validate again.
			wait := min(5*time.Millisecond<<min(attempt, 6), 250*time.Millisecond)
			wctx, cancel := context.WithTimeout(ctx, wait)
			s.waitFeedMoved(wctx, a.Feed, rec.Prev)
			cancel()
			if ctx.Err() != nil {
				return protocol.Ack{}, ctx.Err()
			}
			continue
		}
		if err != nil {
			e := protocol.Errorf(protocol.CodeInternal, "could not store the action; send it again")
			e.Temporary, e.Op, e.Feed = true, a.Op, a.Feed
			s.lg.Error("append failed", "feed", a.Feed, "op", a.Op, "err", err)
			return protocol.Ack{}, e
		}
		if err := s.WaitApplied(ctx, seq); err != nil {
			return protocol.Ack{}, err
		}
		if dup {
			s.Stats.Duplicates.Add(1)
		} else {
			s.Stats.Actions.Add(1)
		}
		return s.ackOf(ctx, a, seq, dup), nil
	}
}

// ackOf builds the acknowledgement of the record at seq.
func (s *Service) ackOf(ctx context.Context, a protocol.Action, seq uint64, dup bool) protocol.Ack {
	ack := protocol.Ack{Op: a.Op, Feed: a.Feed, Pos: seq, Duplicate: dup}
	if ev, ok := s.Event(ctx, seq); ok {
		ack.ID, ack.Event = ev.ID, &ev
	}
	return ack
}

// Event returns the event at seq, from memory when recent, else from the
// log (false if it is no longer retained).
func (s *Service) Event(ctx context.Context, seq uint64) (protocol.Event, bool) {
	s.recentMu.Lock()
	ev := s.recent[seq%RecentEvents].ev
	s.recentMu.Unlock()
	if ev.Pos == seq && seq != 0 {
		return ev, true
	}
	r, err := s.log.Get(ctx, seq)
	if err != nil {
		return protocol.Event{}, false
	}
	ev, err = EventOf(r)
	return ev, err == nil
}

// CatchUp brings a new subscription up to date: for ModeSnapshot a
// snapshot; for ModeResume every event of the feed after sub.Pos, or
// HistoryGone and a snapshot when they are no longer all retained; for
// ModeLive nothing. Messages go through send, which may block. It returns
// the feed position the subscriber now has; live events at or below it
// must be dropped, those above it delivered. The caller must have joined
// the hub (buffering live events) before calling CatchUp. me is the
// subscriber's user id (a snapshot lists their reactions first).
func (s *Service) CatchUp(ctx context.Context, me string, sub protocol.Sub, send func([]byte) error) (uint64, error) {
	switch sub.Mode {
	case protocol.ModeLive:
		return s.view.FeedLast(sub.Feed), nil
	case protocol.ModeSnapshot:
		return s.sendSnapshot(sub.Feed, me, send)
	}
	s.Stats.Resumes.Add(1)
	before := s.view.FeedLast(sub.Feed)
	first, last, err := s.log.Bounds(ctx)
	if err != nil {
		return 0, err
	}
	if sub.Pos > last {
		// Ahead of the log: the client followed a log that was reset.
		return s.historyGone(sub, me, first, send)
	}
	if evs, ok := s.recentSince(sub.Feed, sub.Pos); ok {
		pos := sub.Pos
		for i, e := range evs {
			if i == 0 && e.ev.Prev > sub.Pos {
				return s.historyGone(sub, me, first, send)
			}
			if err := send(e.msg); err != nil {
				return 0, err
			}
			s.Stats.Replayed.Add(1)
			pos = e.ev.Pos
		}
		if len(evs) == 0 && before > sub.Pos {
			return s.historyGone(sub, me, first, send)
		}
		return pos, nil
	}
	pos := sub.Pos
	gone := false
	read := 0
	err = s.log.ReadFeed(ctx, sub.Feed, sub.Pos+1, 0, func(r eventlog.Record) error {
		ev, err := EventOf(r)
		if err != nil {
			return err
		}
		if read == 0 && ev.Prev > sub.Pos {
			gone = true
			return errStop
		}
		read++
		s.Stats.Replayed.Add(1)
		pos = ev.Pos
		return send(protocol.MustEncode(ev))
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err != nil {
		return 0, err
	}
	if gone || read == 0 && before > sub.Pos {
		return s.historyGone(sub, me, first, send)
	}
	return pos, nil
}

var errStop = errors.New("stop")

// recentSince returns feed's events after pos from memory, if memory holds
// every event (of any feed) after pos.
func (s *Service) recentSince(feed string, pos uint64) ([]recentEvent, bool) {
	s.recentMu.Lock()
	defer s.recentMu.Unlock()
	if s.recentLast < pos || s.recentLast-pos >= RecentEvents || pos+1 < s.first.Load() {
		return nil, false // not all in memory, or older than the log retains
	}
	var out []recentEvent
	for seq := pos + 1; seq <= s.recentLast; seq++ {
		e := s.recent[seq%RecentEvents]
		if e.ev.Pos != seq {
			return nil, false // not applied by this node (e.g. before a restart)
		}
		if e.ev.Feed == feed {
			out = append(out, e)
		}
	}
	return out, true
}

func (s *Service) historyGone(sub protocol.Sub, me string, first uint64, send func([]byte) error) (uint64, error) {
	s.Stats.HistoryGone.Add(1)
	if err := send(protocol.MustEncode(protocol.HistoryGone{Feed: sub.Feed, Pos: sub.Pos, First: first})); err != nil {
		return 0, err
	}
	return s.sendSnapshot(sub.Feed, me, send)
}

func (s *Service) sendSnapshot(feed, me string, send func([]byte) error) (uint64, error) {
	snap := s.view.SnapshotFor(feed, me)
	s.Stats.Snapshots.Add(1)
	return snap.Pos, send(protocol.MustEncode(snap))
}

// maybeCompact stores a snapshot and trims the log when it holds more than
// RetainEvents records (plus a quarter, so compaction is not constant).
func (s *Service) maybeCompact(applied uint64) {
	n := s.cfg.RetainEvents
	if n == 0 || applied+1-s.first.Load() <= n+max(n/4, 1) || !s.compacting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.compacting.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Compact(ctx); err != nil {
			s.lg.Error("compaction failed", "err", err)
		}
	}()
}

// Compact stores a snapshot of the view and removes the records older than
// the newest RetainEvents.
func (s *Service) Compact(ctx context.Context) error {
	seq, data, err := s.view.Marshal()
	if err != nil {
		return fmt.Errorf("feed: snapshot: %w", err)
	}
	if err := s.log.SaveSnapshot(ctx, seq, data); err != nil {
		return fmt.Errorf("feed: save snapshot: %w", err)
	}
	if seq+1 <= s.cfg.RetainEvents {
		return nil
	}
	before := seq + 1 - s.cfg.RetainEvents
	if err := s.log.Trim(ctx, before); err != nil {
		return fmt.Errorf("feed: trim log: %w", err)
	}
	s.first.Store(before)
	s.lg.Info("compacted log", "snapshot_seq", seq, "first", before, "bytes", len(data))
	return nil
}

// Operator is the author of operators' records (a feed's removal).
var Operator = protocol.User{ID: "operator", Name: "operator"}

// ErrNoFeed: RemoveFeed of a feed with no posts (never used, or removed
// already).
var ErrNoFeed = errors.New("feed: no such feed")

// RemoveFeed appends the removal of feed, an operator's decision, and
// returns its position once the view has applied it. Subscribers get a
// KindRemoved event and drop the feed's posts; the feed no longer counts
// toward protocol.MaxFeeds; a later post starts it anew. op makes a retry
// of the same removal a no-op.
func (s *Service) RemoveFeed(ctx context.Context, feed, op string) (uint64, error) {
	mu := s.lockFor(feed)
	mu.Lock()
	defer mu.Unlock()
	if o, ok := s.view.op(Operator.ID, op); ok {
		return o.Seq, nil
	}
	if s.view.isNewFeed(feed) {
		return 0, ErrNoFeed
	}
	last := s.view.FeedLast(feed)
	data, err := json.Marshal(record{Kind: protocol.KindRemoved, Op: op, Prev: last, Author: Operator})
	if err != nil {
		return 0, err
	}
	seq, _, err := s.log.Append(ctx, feed, data, eventlog.AppendOptions{ExpectLast: true, LastSeq: last, MsgID: opKey(Operator.ID, op)})
	if err != nil {
		return 0, fmt.Errorf("feed: remove %s: %w", feed, err)
	}
	if err := s.WaitApplied(ctx, seq); err != nil {
		return 0, err
	}
	s.lg.Info("feed removed", "feed", feed, "pos", seq)
	return seq, nil
}
