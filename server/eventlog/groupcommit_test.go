package eventlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/wait"
)

// openGroupLog opens a log with group commit on a fresh embedded server.
func openGroupLog(t *testing.T) *JetStream { return openTestLog(t, SyncGroup) }

// holdRounds makes the log's syncer block at the start of each round until
// the returned function is called.
func holdRounds(l *JetStream) (release func()) {
	gate := make(chan struct{})
	l.gc.hold = func(ctx context.Context) {
		select {
		case <-gate:
		case <-ctx.Done():
		}
	}
	return func() { close(gate) }
}

// storedLast is the stream's last sequence as the server has it (stored,
// maybe not durable).
func storedLast(t *testing.T, l *JetStream) uint64 {
	t.Helper()
	info, err := l.stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

func waitStored(t *testing.T, l *JetStream, seq uint64) {
	t.Helper()
	wait.For(t, 5*time.Second, wait.Poll, func() error {
		if last := storedLast(t, l); last < seq {
			return fmt.Errorf("record %d not stored: the stream's last is %d", seq, last)
		}
		return nil
	})
}

// TestGroupCommitNothingVisibleBeforeDurable holds the syncer: an append
// stored by the server is neither acknowledged nor handed out (Follow, Get,
// ReadFeed, Bounds) until its fsync round has run.
func TestGroupCommitNothingVisibleBeforeDurable(t *testing.T) {
	l := openGroupLog(t)
	ctx := t.Context()
	release := holdRounds(l)
	appended := make(chan error, 1)
	go func() {
		_, _, err := l.Append(ctx, "a", []byte("x"), AppendOptions{MsgID: "m1"})
		appended <- err
	}()
	followed := make(chan Record, 1)
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	go func() {
		_ = l.Follow(fctx, 1, func(r Record) error { followed <- r; return nil })
	}()
	waitStored(t, l, 1)
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		t.Cleanup(cancel)
		return c
	}
	if _, err := l.Get(short(), 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get of a record not yet durable: %v, want a wait (deadline exceeded)", err)
	}
	if err := l.ReadFeed(short(), "a", 1, 0, func(Record) error { return errors.New("handed out") }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ReadFeed of a record not yet durable: %v, want a wait (deadline exceeded)", err)
	}
	if _, _, err := l.Bounds(short()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Bounds with a record not yet durable: %v, want a wait (deadline exceeded)", err)
	}
	select {
	case err := <-appended:
		t.Fatalf("Append returned (%v) before its fsync", err)
	case r := <-followed:
		t.Fatalf("Follow handed out %d before its fsync", r.Seq)
	default:
	}
	release()
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-followed:
		if r.Seq != 1 {
			t.Fatalf("Follow handed out %d", r.Seq)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not hand out the durable record")
	}
	if r, err := l.Get(ctx, 1); err != nil || string(r.Data) != "x" {
		t.Fatalf("Get = %+v, %v", r, err)
	}
	if l.gc.durable.Load() < 1 {
		t.Fatalf("watermark %d", l.gc.durable.Load())
	}
}

// TestGroupCommitFsyncError: a failed fsync fails the waiting append, and
// every later one, with errNotDurable.
func TestGroupCommitFsyncError(t *testing.T) {
	l := openGroupLog(t)
	ctx := t.Context()
	if _, _, err := l.Append(ctx, "a", []byte("ok"), AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	l.gc.syncFile = func(*os.File) error { return errors.New("EIO (injected)") }
	for i := range 2 {
		_, _, err := l.Append(ctx, "a", []byte("lost"), AppendOptions{})
		if !errors.Is(err, errNotDurable) {
			t.Fatalf("append %d after a failed fsync: %v, want errNotDurable", i, err)
		}
		t.Logf("append %d: %v", i, err)
	}
	if _, err := l.Get(ctx, 2); !errors.Is(err, errNotDurable) {
		t.Fatalf("Get of the record whose fsync failed: %v", err)
	}
	if err := l.Health(); !errors.Is(err, errNotDurable) {
		t.Fatalf("Health after a failed fsync = %v", err)
	}
}

// TestGroupCommitOutOfDescriptors: when the syncer cannot open the files
// (EMFILE), nothing is in doubt: the append waits, unacknowledged, while the
// log reports itself unhealthy, and completes once descriptors are back.
// Later appends work. (Before, the first EMFILE failed every later append
// until a restart.)
func TestGroupCommitOutOfDescriptors(t *testing.T) {
	for _, where := range []string{"open", "readdir"} {
		t.Run(where, func(t *testing.T) {
			l := openGroupLog(t)
			ctx := t.Context()
			if _, _, err := l.Append(ctx, "a", []byte("before"), AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			emfile := &os.PathError{Op: where, Path: l.gc.dir, Err: syscall.EMFILE}
			var mu sync.Mutex
			failing := true
			down := func() bool { mu.Lock(); defer mu.Unlock(); return failing }
			if where == "open" {
				l.gc.openFile = func(name string) (*os.File, error) {
					if down() {
						return nil, emfile
					}
					return os.Open(name)
				}
			} else {
				l.gc.readDir = func(name string) ([]os.DirEntry, error) {
					if down() {
						return nil, emfile
					}
					return os.ReadDir(name)
				}
			}
			res := make(chan error, 1)
			go func() {
				_, _, err := l.Append(ctx, "a", []byte("during"), AppendOptions{})
				res <- err
			}()
			select {
			case err := <-res:
				t.Fatalf("append acknowledged (%v) while its record could not be synced", err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := l.Health(); !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("Health while stalled = %v, want EMFILE", err)
			}
			mu.Lock()
			failing = false
			mu.Unlock()
			select {
			case err := <-res:
				if err != nil {
					t.Fatalf("append after recovery: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("append still waiting after the descriptors came back")
			}
			if err := l.Health(); err != nil {
				t.Fatalf("Health after recovery = %v", err)
			}
			if _, _, err := l.Append(ctx, "a", []byte("after"), AppendOptions{}); err != nil {
				t.Fatalf("later append: %v", err)
			}
			if r, err := l.Get(ctx, 2); err != nil || string(r.Data) != "during" {
				t.Fatalf("Get(2) = %+v, %v", r, err)
			}
		})
	}
}

// TestGroupCommitCloseWakesWaiters: Close makes the appends waiting for
// their fsync return ErrClosed.
func TestGroupCommitCloseWakesWaiters(t *testing.T) {
	l := openGroupLog(t)
	holdRounds(l)
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() {
			_, _, err := l.Append(context.Background(), "a", []byte("x"), AppendOptions{})
			errs <- err
		}()
	}
	waitStored(t, l, uint64(cap(errs)))
	done := make(chan struct{})
	go func() { _ = l.Close(); close(done) }()
	for range cap(errs) {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("waiting append after Close: %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an append waiting for its fsync hangs after Close")
		}
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
}

// TestGroupCommitShares: concurrent appends share fsync rounds.
func TestGroupCommitShares(t *testing.T) {
	l := openGroupLog(t)
	ctx := t.Context()
	release := holdRounds(l)
	const n = 32
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, _, err := l.Append(ctx, "f"+string(rune('a'+i%26)), []byte("x"), AppendOptions{})
			errs <- err
		}()
	}
	waitStored(t, l, n)
	before := l.gc.rounds.Load()
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The held round (started before some appends were acked) and one
	// more, or two if an ack came late.
	if r := l.gc.rounds.Load() - before; r > 3 {
		t.Fatalf("%d rounds for %d concurrent appends", r, n)
	}
}

// TestGroupCommitNewBlocks: records spread over many block files (a tiny
// block size is not configurable here, so large records fill the default
// blocks) are all fsynced: every block file at or above the previous last
// one, and the directory when one appeared.
func TestGroupCommitNewBlocks(t *testing.T) {
	l := openGroupLog(t)
	ctx := t.Context()
	big := make([]byte, 512*1024)
	before := l.gc.fsyncs.Load()
	for range 40 { // 20 MB: several blocks
		if _, _, err := l.Append(ctx, "a", big, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(l.gc.dir)
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".blk" {
			blocks++
		}
	}
	if blocks < 2 {
		t.Fatalf("%d block files; the test wants several", blocks)
	}
	if l.gc.lastBlock < uint32(blocks) {
		t.Fatalf("syncer's last block %d, %d block files", l.gc.lastBlock, blocks)
	}
	t.Logf("%d blocks, %d fsyncs for 40 appends", blocks, l.gc.fsyncs.Load()-before)
}

// TestGroupCommitTrimWhileAppending: purges (of everything, which makes
// nats-server replace msgs/ by a rename, and partial ones) while appends
// wait for their rounds do not fail the log.
func TestGroupCommitTrimWhileAppending(t *testing.T) {
	l := openGroupLog(t)
	ctx := t.Context()
	stop := make(chan struct{})
	errs := make(chan error, 5)
	for w := range 4 {
		go func() {
			for i := range 100 {
				if _, _, err := l.Append(ctx, fmt.Sprintf("f%d", w), []byte("x"), AppendOptions{}); err != nil {
					errs <- fmt.Errorf("append %d: %w", i, err)
					return
				}
			}
			errs <- nil
		}()
	}
	go func() {
		defer close(stop)
		for i := 0; ; i++ {
			_, last, err := l.Bounds(ctx)
			if err == nil {
				before := last + 1 // everything
				if i%2 == 1 {
					before = last/2 + 1
				}
				err = l.Trim(ctx, before)
			}
			if err != nil {
				errs <- fmt.Errorf("trim: %w", err)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Millisecond):
			}
			if last >= 400 {
				return
			}
		}
	}()
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	<-stop
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if _, last, err := l.Bounds(ctx); err != nil || last != 400 {
		t.Fatalf("Bounds = %d, %v", last, err)
	}
}
