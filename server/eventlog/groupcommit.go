package eventlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit (SyncGroup) for the embedded server.
//
// The embedded nats-server then runs without SyncAlways. What it does with
// an R1 file stream, read in nats-server v2.15.2 (server/filestore.go,
// server/stream.go):
//
//   - stream.go (addStreamWithAssignment, "Async flushing is only allowed
//     if the stream has a sync log backing it"): FileStoreConfig.AsyncFlush
//     = !SyncAlways && Replicas > 1, or true with PersistMode async. Our
//     streams are R1 with the default PersistMode, so AsyncFlush is false
//     and the store flushes in place (filestore.go newFileStore: fs.fip =
//     !fcfg.AsyncFlush).
//   - filestore.go storeRawMsg -> fs.writeMsgRecord -> mb.writeMsgRecord(...,
//     fs.fip) -> writeMsgRecordLocked: "if flush && mb.fs.fip" calls
//     flushPendingMsgsLocked, which writes the record to the block file
//     (mb.writeAt, a pwrite) and, without SyncAlways, only sets
//     mb.needSync. storeRawMsg sets fs.state.LastSeq = seq after that
//     write, under fs.mu, and the stream sends the pub ack after
//     storeRawMsg returns. So: a pub-acked record, and every record up to
//     the stream state's LastSeq, is in the page cache of its msgs/N.blk.
//   - Records are only appended to the last block (fs.lmb). When it is full
//     newMsgBlockForWrite flushes it (no fsync) and creates msgs/N+1.blk
//     (os.OpenFile O_CREATE): the new file's directory entry needs an fsync
//     of msgs/ too. The stream's meta.inf/meta.sum are written without
//     fsync (writeFileWithOptionalSync) when the stream is created.
//   - nats-server's own periodic syncBlocks (SyncInterval, default 2 min)
//     fsyncs blocks with needSync, the msgs directory and index.db. On
//     restart the store is recovered from msgs/*.blk: index.db is only a
//     shortcut, checked against the last block and rebuilt from the blocks
//     when stale; a torn tail of a block fails its checksum and is
//     truncated (recoverMsgBlock/rebuildState). The duplicate window and
//     the per-subject last sequences (ExpectLast) are rebuilt from the
//     stored messages.
//
// So a syncer that, in each round, takes a sequence known to be stored
// (acknowledged to an Append, or delivered by the server to Follow,
// ReadFeed or Get), then fsyncs the block files that can hold records up
// to it (the last block of the previous round and every newer one) and,
// when a block file appeared, the msgs directory, makes every record up to
// that sample durable (sequences are stored in order, so every record
// below a stored one is stored too): the sample becomes the durable
// watermark. An Append waits until the watermark reaches its pub-acked
// sequence, i.e. for a round that started after its ack (classic group
// commit: one fsync for every append acked before it started), and
// nothing is handed out (Get, ReadFeed, Follow, Bounds) above the
// watermark. The sample is the highest sequence the waiters asked for
// when the round started, so a round costs no request to the server.

// auditedNATSServer is the nats-server version whose file store the
// reading above was made in. Group commit refuses to start with another
// (startGroupCommit), and TestGroupCommitAuditedServer fails, until the
// reading is made again.
const auditedNATSServer = "v2.15.2"

// natsServerVersion returns the version of the nats-server module built
// into this binary.
func natsServerVersion() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, m := range bi.Deps {
		if m.Path == "github.com/nats-io/nats-server/v2" {
			if m.Replace != nil {
				return m.Replace.Version, true
			}
			return m.Version, true
		}
	}
	return "", false
}

// groupCommit is the syncer of one stream.
type groupCommit struct {
	dir      string                              // the stream's msgs directory
	syncFile func(*os.File) error                // (*os.File).Sync; tests fail it
	openFile func(string) (*os.File, error)      // os.Open; tests fail it
	readDir  func(string) ([]os.DirEntry, error) // os.ReadDir; tests fail it
	hold     func(context.Context)               // tests: called at the start of each round

	// stalled is the error of the last round that could not reach the
	// files (nil when the last round succeeded), for readiness.
	stalled atomic.Pointer[error]

	durable atomic.Uint64 // the watermark: every record <= durable is on disk
	fsyncs  atomic.Int64  // files and directories fsynced (for benchmarks)
	rounds  atomic.Int64

	mu       sync.Mutex
	wanted   uint64        // highest stored sequence a waiter asked for
	sample   uint64        // wanted when the running (or last) round started
	started  uint64        // rounds started
	finished uint64        // rounds finished
	done     chan struct{} // closed and replaced when a round finishes
	err      error         // sticky: an fsync failed
	closed   chan struct{}
	isClosed bool
	holdCtx  context.Context // cancelled by close (for hold)
	stop     context.CancelFunc

	// Owned by the round running (one at a time).
	lastBlock uint32 // highest block index seen by the previous round
	forceDir  atomic.Bool
}

// fsyncFailed marks an error of fsync itself (as opposed to an error
// reaching the file, such as EMFILE from open): only those leave the page
// cache's state unknown.
type fsyncFailed struct{ err error }

func (e fsyncFailed) Error() string { return "fsync: " + e.err.Error() }
func (e fsyncFailed) Unwrap() error { return e.err }

// Retry bounds of a round that cannot reach the files (out of descriptors
// or memory): it tries again, doubling the wait from stallRetryMin up to
// stallRetryMax, until it succeeds or the log closes. The appends waiting
// for it are not acknowledged meanwhile, and readiness reports the error.
const (
	stallRetryMin = 10 * time.Millisecond
	stallRetryMax = time.Second
)

// errNotDurable wraps fsync failures: after one the page cache state of the
// store is unknown, so every later append fails too until a restart (which
// recovers the store from what is on disk).
var errNotDurable = errors.New("eventlog: group commit: fsync failed; records after the durable watermark may be lost; restart the server")

// newGroupCommit returns the syncer of the stream whose message blocks are in
// dir, after making everything already in the stream durable (a process
// crash before this start may have left unsynced writes in the page cache).
func newGroupCommit(ctx context.Context, streamDir string, last func(context.Context) (uint64, error)) (*groupCommit, error) {
	g := &groupCommit{
		dir:      filepath.Join(streamDir, "msgs"),
		syncFile: (*os.File).Sync,
		openFile: os.Open,
		readDir:  os.ReadDir,
		done:     make(chan struct{}),
		closed:   make(chan struct{}),
	}
	if _, err := os.Stat(g.dir); err != nil {
		return nil, fmt.Errorf("eventlog: group commit: stream store not found (is the log the embedded server's, started with SyncGroup?): %w", err)
	}
	// The stream's files and the directories leading to them, created
	// without fsync by nats-server when the stream was created.
	if err := g.syncTree(streamDir); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotDurable, err)
	}
	seq, err := last(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventlog: group commit: stream state: %w", err)
	}
	if err := g.syncBlocks(true); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotDurable, err)
	}
	g.durable.Store(seq)
	g.wanted, g.sample = seq, seq
	g.holdCtx, g.stop = context.WithCancel(context.Background())
	return g, nil
}

// syncTree fsyncs the regular files of dir and of dir/msgs, then dir/msgs,
// dir and its parents up to the JetStream store directory (three levels:
// streams, the account, jetstream).
func (g *groupCommit) syncTree(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, "msgs")} {
		ents, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Type().IsRegular() {
				if err := g.fsync(filepath.Join(d, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	d := filepath.Join(dir, "msgs")
	for range 5 {
		if err := g.fsync(d); err != nil {
			return err
		}
		d = filepath.Dir(d)
	}
	return nil
}

// fsync fsyncs a file or directory by name. A file removed meanwhile (a
// block dropped by Trim) is not an error.
func (g *groupCommit) fsync(name string) error {
	f, err := g.openFile(name)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	// fsync through a read-only descriptor flushes the file's dirty pages
	// on Linux, whoever wrote them.
	err = g.syncFile(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	g.fsyncs.Add(1)
	if err != nil {
		return fsyncFailed{err}
	}
	return nil
}

// syncBlocks fsyncs the block files that may hold records written since
// the previous round: the previous last block and every newer one (all of
// them when all is set, or when the numbering went back, which nats-server
// does not do for our streams but would otherwise hide new blocks), then
// the msgs directory if a block file appeared. After a purge (syncAll) it
// also fsyncs the stream directory: a purge of everything replaces msgs/
// by a rename (filestore.go purgeLocked), a partial one may replace the
// first block kept by a rename (compactLocked, writeAtomically).
func (g *groupCommit) syncBlocks(all bool) error {
	ents, err := g.readDir(g.dir)
	// A purge of everything renames msgs/ away and a new one in its place
	// (under the store's lock, briefly): wait for the new one.
	for i := 0; os.IsNotExist(err) && i < 200; i++ {
		g.forceDir.Store(true)
		time.Sleep(time.Millisecond)
		ents, err = g.readDir(g.dir)
	}
	if err != nil {
		return err
	}
	var blocks []uint32
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".blk")
		if !ok {
			continue
		}
		if idx, err := strconv.ParseUint(name, 10, 32); err == nil {
			blocks = append(blocks, uint32(idx))
		}
	}
	sort.Slice(blocks, func(i, j int) bool { return blocks[i] < blocks[j] })
	last := uint32(0)
	if len(blocks) > 0 {
		last = blocks[len(blocks)-1]
	}
	all = all || last < g.lastBlock
	for _, idx := range blocks {
		if !all && idx < g.lastBlock {
			continue
		}
		if err := g.fsync(filepath.Join(g.dir, strconv.FormatUint(uint64(idx), 10)+".blk")); err != nil {
			return err
		}
	}
	purged := g.forceDir.Swap(false)
	if all || last > g.lastBlock || purged {
		if err := g.fsync(g.dir); err != nil {
			g.forceDir.Store(g.forceDir.Load() || purged) // again next time
			return err
		}
	}
	if purged {
		if err := g.fsync(filepath.Dir(g.dir)); err != nil {
			g.forceDir.Store(true)
			return err
		}
	}
	g.lastBlock = last
	return nil
}

// runRoundLocked runs one round in the calling goroutine (the leader: the
// first waiter to find no round running), unlocking g.mu during the
// fsyncs. The waiters that arrive meanwhile wait for it to finish and then
// one of them leads the next round, which covers them all.
func (g *groupCommit) runRoundLocked() {
	g.started++
	seq := g.wanted
	g.sample = seq
	g.mu.Unlock()

	if g.hold != nil {
		g.hold(g.holdCtx)
	}
	err := g.syncBlocks(false)
	// An error reaching the files (no descriptor left, say) leaves nothing
	// in doubt: wait and try again, for as long as it takes.
	for wait := stallRetryMin; err != nil && !errors.As(err, new(fsyncFailed)); wait = min(2*wait, stallRetryMax) {
		g.stalled.Store(&err)
		select {
		case <-g.holdCtx.Done():
		case <-time.After(wait):
			err = g.syncBlocks(false)
			continue
		}
		break // closed: the waiters get ErrClosed
	}
	if err == nil {
		g.stalled.Store(nil)
	}
	g.rounds.Add(1)

	g.mu.Lock()
	if errors.As(err, new(fsyncFailed)) {
		g.err = fmt.Errorf("%w: %v", errNotDurable, err)
	} else if err == nil && seq > g.durable.Load() {
		g.durable.Store(seq)
	}
	g.finished = g.started
	close(g.done)
	g.done = make(chan struct{})
}

// round waits until the record at seq (stored already) is durable, or,
// with seq 0, for a round that starts after the call to finish.
func (g *groupCommit) round(ctx context.Context, seq uint64) error {
	g.mu.Lock()
	g.wanted = max(g.wanted, seq)
	need := g.started + 1
	if seq > 0 && g.started > g.finished && g.sample >= seq {
		need = g.started // the running round covers it
	}
	for {
		switch {
		case g.err != nil:
			err := g.err
			g.mu.Unlock()
			return err
		case g.isClosed:
			g.mu.Unlock()
			return ErrClosed
		case seq > 0 && g.durable.Load() >= seq:
			g.mu.Unlock()
			return nil
		case g.finished >= need:
			if seq == 0 {
				g.mu.Unlock()
				return nil
			}
			// Not reached: a round started after wanted >= seq
			// covers seq.
			need = g.started + 1
			continue
		case g.started == g.finished:
			// No round running: lead one.
			g.runRoundLocked()
			continue
		}
		done := g.done
		g.mu.Unlock()
		select {
		case <-done:
		case <-g.closed:
		case <-ctx.Done():
			return ctx.Err()
		}
		g.mu.Lock()
	}
}

// wait returns once every record up to seq is durable. seq must be stored
// already (acknowledged or delivered by the server).
func (g *groupCommit) wait(ctx context.Context, seq uint64) error {
	if g.durable.Load() >= seq {
		return nil
	}
	return g.round(ctx, seq)
}

// syncAll makes everything stored so far durable, with an fsync of the
// msgs directory too (after a purge, which may have replaced a block file
// by a rename).
func (g *groupCommit) syncAll(ctx context.Context) error {
	g.forceDir.Store(true)
	return g.round(ctx, 0)
}

// health returns why the log cannot make records durable now: the sticky
// fsync failure, or the error of a round that keeps retrying. nil when
// healthy.
func (g *groupCommit) health() error {
	g.mu.Lock()
	err := g.err
	g.mu.Unlock()
	if err != nil {
		return err
	}
	if p := g.stalled.Load(); p != nil {
		return fmt.Errorf("eventlog: group commit stalled, retrying: %w", *p)
	}
	return nil
}

// close makes waiting and later calls return ErrClosed (a round in
// progress finishes its fsyncs in its leader's goroutine).
func (g *groupCommit) close() {
	g.mu.Lock()
	if !g.isClosed {
		g.isClosed = true
		close(g.closed)
	}
	g.mu.Unlock()
	g.stop()
}
