// Package eventlog is the source of truth of Livefeed: an append-only log of
// records, each belonging to one feed, with positions (sequence numbers) that
// increase strictly across the whole log.
//
// The default implementation is NATS JetStream (embedded in the server process
// or an external cluster); Memory is an in-memory implementation for fast unit
// tests. Every implementation passes the contract suite in package logtest.
package eventlog

import (
	"context"
	"errors"
	"time"
)

// Record is one entry of the log.
type Record struct {
	// Seq is the record's position, assigned by the log: 1-based and strictly
	// increasing across all feeds.
	Seq uint64
	// Feed is the name of the feed the record belongs to.
	Feed string
	// Time is when the log stored the record.
	Time time.Time
	// Data is the payload, opaque to the log.
	Data []byte
}

// AppendOptions refine Append.
type AppendOptions struct {
	// ExpectLast, when true, makes Append fail with ErrConflict unless the
	// last record of the feed has sequence LastSeq (0: the feed is empty).
	ExpectLast bool
	LastSeq    uint64
	// MsgID, when set, deduplicates appends: a second append with the same
	// MsgID within the log's duplicate window stores nothing and returns the
	// sequence of the first one with duplicate set.
	MsgID string
}

// Errors returned by implementations (compare with errors.Is).
var (
	// ErrConflict: AppendOptions.ExpectLast did not hold.
	ErrConflict = errors.New("eventlog: feed has moved on (expected last sequence mismatch)")
	// ErrNotFound: no such record or no snapshot.
	ErrNotFound = errors.New("eventlog: not found")
	// ErrStaleSnapshot: SaveSnapshot found a newer snapshot stored (by
	// another node) and kept it.
	ErrStaleSnapshot = errors.New("eventlog: a newer snapshot is stored")
	// ErrClosed: the log was closed.
	ErrClosed = errors.New("eventlog: closed")
)

// HealthReporter is implemented by logs that can say why they cannot take
// writes now (a node is then not ready).
type HealthReporter interface {
	// Health returns nil when the log can make appends durable, else why
	// not.
	Health() error
}

// Log is the event log.
type Log interface {
	// Append stores data as the next record of feed and returns its
	// sequence once the log has it durably (as durable as the
	// implementation is configured to be). duplicate reports that an
	// earlier append with the same MsgID was found.
	Append(ctx context.Context, feed string, data []byte, opts AppendOptions) (seq uint64, duplicate bool, err error)

	// Store is the first half of Append: it returns once the log has
	// stored the record (assigned seq, checked ExpectLast and MsgID), not
	// waiting for it to be durable. A stored record is the feed's last
	// for the next ExpectLast at once, so appends to one feed can be
	// pipelined: store the next one, expecting this seq, while this one
	// is being made durable. It is not handed out (Get, ReadFeed,
	// Follow, Bounds) before it is durable, and it is acknowledged to no
	// one until WaitDurable(seq) has returned nil.
	Store(ctx context.Context, feed string, data []byte, opts AppendOptions) (seq uint64, duplicate bool, err error)

	// WaitDurable is the second half of Append: it returns nil once every
	// record up to seq (stored already) is durable, or why it cannot be
	// made so. One wait covers many stores (group commit: one fsync
	// round for every record stored before it started).
	WaitDurable(ctx context.Context, seq uint64) error

	// Get returns the record at seq, or ErrNotFound.
	Get(ctx context.Context, seq uint64) (Record, error)

	// ReadFeed calls fn, in order, for each record of feed whose sequence
	// is in [from, to]; to == 0 means up to the last record at the time of
	// the call. It returns fn's first error.
	ReadFeed(ctx context.Context, feed string, from, to uint64, fn func(Record) error) error

	// Follow calls fn, in order, for every record of every feed with
	// sequence >= from, first those already stored and then new ones as
	// they are appended, until ctx is done (it then returns ctx.Err()) or
	// fn returns an error (returned as is). Records removed by Trim are
	// skipped.
	Follow(ctx context.Context, from uint64, fn func(Record) error) error

	// Bounds returns the first and last sequence retained. An empty log
	// returns first == last+1 (for a fresh log: 1, 0).
	Bounds(ctx context.Context) (first, last uint64, err error)

	// Trim removes every record with sequence < before.
	Trim(ctx context.Context, before uint64) error

	// SaveSnapshot stores data as the snapshot of the state derived from
	// every record up to and including seq, replacing an earlier one. It
	// never replaces a snapshot of a later seq: it returns
	// ErrStaleSnapshot instead (the records between the two may be
	// trimmed already).
	SaveSnapshot(ctx context.Context, seq uint64, data []byte) error

	// LoadSnapshot returns the latest snapshot, or ErrNotFound.
	LoadSnapshot(ctx context.Context) (seq uint64, data []byte, err error)

	// Epoch identifies this log among every log that was or will be: a
	// log recreated (its data wiped) or restored from a backup has another
	// epoch, although its positions overlap those of the old one. It
	// never changes while the log is open.
	Epoch() string

	// Close releases the log's resources.
	Close() error
}
