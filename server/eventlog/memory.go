package eventlog

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// Memory is an in-memory Log for unit tests. It is safe for concurrent use.
//
// It mirrors the behaviour of the JetStream implementation on a single
// server (R1), including the corner cases:
//   - AppendOptions.ExpectLast is checked before MsgID deduplication, so
//     retrying an append that already succeeded with the same ExpectLast
//     fails with ErrConflict rather than reporting a duplicate;
//   - a feed whose records have all been trimmed counts as empty for
//     ExpectLast (LastSeq 0);
//   - Trim with before beyond the last sequence removes every record but
//     does not move the next sequence.
//
// Unlike JetStream, message ids are remembered for the lifetime of the
// Memory (there is no duplicate window).
type Memory struct {
	mu sync.Mutex
	// recs holds the retained records; sequences are dense, so recs[i] has
	// sequence first+i.
	recs  []Record
	first uint64 // sequence of recs[0] (or of the next record when empty)
	next  uint64 // sequence the next record gets
	// lastByFeed is the last sequence appended to each feed; values below
	// first refer to trimmed records.
	lastByFeed map[string]uint64
	msgIDs     map[string]uint64
	epoch      string
	snapSeq    uint64
	snapData   []byte
	hasSnap    bool
	// appended is closed (and replaced) whenever a record is appended.
	appended chan struct{}
	closed   chan struct{}
	isClosed bool
}

var _ Log = (*Memory)(nil)

// Epoch implements Log: a new one for every Memory.
func (m *Memory) Epoch() string { return m.epoch }

// NewMemory returns an empty in-memory log.
func NewMemory() *Memory {
	return &Memory{
		first:      1,
		next:       1,
		lastByFeed: make(map[string]uint64),
		msgIDs:     make(map[string]uint64),
		epoch:      newEpochID(),
		appended:   make(chan struct{}),
		closed:     make(chan struct{}),
	}
}

// Append implements Log.
func (m *Memory) Append(ctx context.Context, feed string, data []byte, opts AppendOptions) (uint64, bool, error) {
	return m.Store(ctx, feed, data, opts)
}

// WaitDurable implements Log: a stored record is as durable as a Memory
// gets.
func (m *Memory) WaitDurable(ctx context.Context, seq uint64) error {
	return ctx.Err()
}

// Store implements Log: the record is handed out at once.
func (m *Memory) Store(ctx context.Context, feed string, data []byte, opts AppendOptions) (uint64, bool, error) {
	if err := checkFeed(feed); err != nil {
		return 0, false, err
	}
	if err := m.lock(ctx); err != nil {
		return 0, false, err
	}
	defer m.mu.Unlock()
	if opts.ExpectLast && m.feedLast(feed) != opts.LastSeq {
		return 0, false, ErrConflict
	}
	if opts.MsgID != "" {
		if seq, ok := m.msgIDs[opts.MsgID]; ok {
			return seq, true, nil
		}
	}
	seq := m.next
	m.next++
	m.recs = append(m.recs, Record{
		Seq:  seq,
		Feed: feed,
		Time: time.Now().UTC(),
		Data: bytes.Clone(data),
	})
	m.lastByFeed[feed] = seq
	if opts.MsgID != "" {
		m.msgIDs[opts.MsgID] = seq
	}
	close(m.appended)
	m.appended = make(chan struct{})
	return seq, false, nil
}

// lock locks m.mu for a call made under ctx, unless ctx is done or m is
// closed: then it returns that error, holding nothing.
func (m *Memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.isClosed {
		m.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// feedLast returns the sequence of the last retained record of feed, 0 if
// there is none. m.mu must be held.
func (m *Memory) feedLast(feed string) uint64 {
	if seq := m.lastByFeed[feed]; seq >= m.first {
		return seq
	}
	return 0
}

// Get implements Log.
func (m *Memory) Get(ctx context.Context, seq uint64) (Record, error) {
	if err := m.lock(ctx); err != nil {
		return Record{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.at(seq)
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, nil
}

// at returns a copy of the record at seq. m.mu must be held.
func (m *Memory) at(seq uint64) (Record, bool) {
	if seq < m.first || seq >= m.next {
		return Record{}, false
	}
	r := m.recs[seq-m.first]
	r.Data = bytes.Clone(r.Data)
	return r, true
}

// ReadFeed implements Log.
func (m *Memory) ReadFeed(ctx context.Context, feed string, from, to uint64, fn func(Record) error) error {
	m.mu.Lock()
	if to == 0 {
		to = m.next - 1
	}
	m.mu.Unlock()
	// Records are copied out one at a time so that fn runs without the
	// lock (it may append to the log).
	for seq := max(from, 1); seq <= to; seq++ {
		if err := m.lock(ctx); err != nil {
			return err
		}
		if seq < m.first {
			seq = m.first
		}
		var (
			r     Record
			found bool
		)
		for ; seq <= to && seq < m.next; seq++ {
			if m.recs[seq-m.first].Feed == feed {
				r, found = m.at(seq)
				break
			}
		}
		m.mu.Unlock()
		if !found {
			return nil
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Follow implements Log.
func (m *Memory) Follow(ctx context.Context, from uint64, fn func(Record) error) error {
	seq := max(from, 1)
	for {
		if err := m.lock(ctx); err != nil {
			return err
		}
		seq = max(seq, m.first)
		r, ok := m.at(seq)
		wait := m.appended
		m.mu.Unlock()
		if !ok {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-m.closed:
				return ErrClosed
			case <-wait:
			}
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
		seq++
	}
}

// Bounds implements Log.
func (m *Memory) Bounds(ctx context.Context) (uint64, uint64, error) {
	if err := m.lock(ctx); err != nil {
		return 0, 0, err
	}
	defer m.mu.Unlock()
	return m.first, m.next - 1, nil
}

// Trim implements Log.
func (m *Memory) Trim(ctx context.Context, before uint64) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	before = min(before, m.next)
	if before <= m.first {
		return nil
	}
	// Copy so that the trimmed records can be garbage collected.
	m.recs = append([]Record(nil), m.recs[before-m.first:]...)
	m.first = before
	return nil
}

// SaveSnapshot implements Log.
func (m *Memory) SaveSnapshot(ctx context.Context, seq uint64, data []byte) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if m.hasSnap && m.snapSeq > seq {
		return ErrStaleSnapshot
	}
	m.snapSeq, m.snapData, m.hasSnap = seq, bytes.Clone(data), true
	return nil
}

// LoadSnapshot implements Log.
func (m *Memory) LoadSnapshot(ctx context.Context) (uint64, []byte, error) {
	if err := m.lock(ctx); err != nil {
		return 0, nil, err
	}
	defer m.mu.Unlock()
	if !m.hasSnap {
		return 0, nil, ErrNotFound
	}
	return m.snapSeq, bytes.Clone(m.snapData), nil
}

// Close implements Log. Pending and later calls fail with ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.isClosed {
		m.isClosed = true
		close(m.closed)
	}
	return nil
}
