package eventlog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"livefeed/server/eventlog"
	"livefeed/server/eventlog/logtest"
)

// startEmbedded starts an embedded server in a fresh directory, stopped
// when the test ends. It returns the JetStreamConfig.GroupCommit of the
// logs to open on it.
func startEmbedded(tb testing.TB, mode eventlog.SyncMode) (*nats.Conn, string) {
	tb.Helper()
	cfg := eventlog.EmbeddedConfig{Dir: filepath.Join(tb.TempDir(), "jetstream"), Sync: mode}
	_, nc := startEmbeddedAt(tb, cfg)
	return nc, cfg.GroupCommitDir()
}

var syncModes = []eventlog.SyncMode{eventlog.SyncGroup, eventlog.SyncAlways, eventlog.SyncPeriodic}

func openJetStream(tb testing.TB, nc *nats.Conn, cfg eventlog.JetStreamConfig) *eventlog.JetStream {
	tb.Helper()
	l, err := eventlog.OpenJetStream(context.Background(), nc, cfg)
	if err != nil {
		tb.Fatalf("OpenJetStream: %v", err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	return l
}

// TestJetStream runs the contract suite with group commit (the default) and
// with SyncAlways.
func TestJetStream(t *testing.T) {
	for _, mode := range []eventlog.SyncMode{eventlog.SyncGroup, eventlog.SyncAlways} {
		t.Run("sync="+mode.String(), func(t *testing.T) {
			nc, gc := startEmbedded(t, mode)
			var n atomic.Int64
			logtest.Run(t, func(t *testing.T) eventlog.Log {
				// A fresh stream (and snapshot bucket) per subtest.
				i := n.Add(1)
				return openJetStream(t, nc, eventlog.JetStreamConfig{
					Stream:        fmt.Sprintf("T%d", i),
					SubjectPrefix: fmt.Sprintf("t%d.feed", i),
					GroupCommit:   gc,
				})
			})
		})
	}
}

func TestJetStreamExpectLastCheckedBeforeMsgID(t *testing.T) {
	nc, gc := startEmbedded(t, eventlog.SyncGroup)
	testExpectLastCheckedBeforeMsgID(t, openJetStream(t, nc, eventlog.JetStreamConfig{GroupCommit: gc}))
}

func TestJetStreamDefaults(t *testing.T) {
	nc, _ := startEmbedded(t, eventlog.SyncPeriodic)
	l := openJetStream(t, nc, eventlog.JetStreamConfig{})
	ctx := t.Context()
	if _, _, err := l.Append(ctx, "f1", []byte("x"), eventlog.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	// The record is under <prefix>.<feed> in the default stream.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, eventlog.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, eventlog.DefaultSubjectPrefix+".f1")
	if err != nil || string(m.Data) != "x" {
		t.Fatalf("GetLastMsgForSubject = %v, %v", m, err)
	}
	if _, err := js.ObjectStore(ctx, eventlog.DefaultStream+"_SNAPSHOTS"); err != nil {
		t.Fatalf("snapshot bucket: %v", err)
	}
	// Opening again (update) works.
	openJetStream(t, nc, eventlog.JetStreamConfig{})
	// Feed names that are not a single subject token are rejected.
	for _, feed := range []string{"", "a.b", "*", ">", "a b"} {
		if _, _, err := l.Append(ctx, feed, nil, eventlog.AppendOptions{}); err == nil {
			t.Errorf("Append to feed %q succeeded", feed)
		}
	}
}

func TestJetStreamRestart(t *testing.T) {
	for _, mode := range syncModes {
		t.Run("sync="+mode.String(), func(t *testing.T) { testJetStreamRestart(t, mode) })
	}
}

func testJetStreamRestart(t *testing.T, mode eventlog.SyncMode) {
	dir := filepath.Join(t.TempDir(), "jetstream")
	ctx := t.Context()
	cfg := eventlog.EmbeddedConfig{Dir: dir, Sync: mode}
	jcfg := eventlog.JetStreamConfig{GroupCommit: cfg.GroupCommitDir()}

	// The cleanups registered here stop what the test has not already
	// stopped: closing and shutting down twice is harmless.
	s, nc := startEmbeddedAt(t, cfg)
	l := openJetStream(t, nc, jcfg)
	var last uint64
	for i := range 10 {
		seq, _, err := l.Append(ctx, "a", fmt.Appendf(nil, "r%d", i),
			eventlog.AppendOptions{ExpectLast: true, LastSeq: last, MsgID: fmt.Sprint("id-", i)})
		if err != nil {
			t.Fatal(err)
		}
		last = seq
	}
	snap := bytes.Repeat([]byte("snapshot"), 100_000)
	if err := l.SaveSnapshot(ctx, 7, snap); err != nil {
		t.Fatal(err)
	}
	_ = l.Close()
	eventlog.Shutdown(s, nc)

	_, nc = startEmbeddedAt(t, cfg)
	l = openJetStream(t, nc, jcfg)
	first, gotLast, err := l.Bounds(ctx)
	if err != nil || first != 1 || gotLast != 10 {
		t.Fatalf("Bounds after restart = %d, %d, %v; want 1, 10", first, gotLast, err)
	}
	for seq := uint64(1); seq <= 10; seq++ {
		r, err := l.Get(ctx, seq)
		if err != nil || string(r.Data) != fmt.Sprint("r", seq-1) || r.Feed != "a" {
			t.Fatalf("Get(%d) after restart = %+v, %v", seq, r, err)
		}
	}
	seq, data, err := l.LoadSnapshot(ctx)
	if err != nil || seq != 7 || !bytes.Equal(data, snap) {
		t.Fatalf("LoadSnapshot after restart = %d, %d bytes, %v", seq, len(data), err)
	}
	// The dedupe window survives the restart.
	seq, dup, err := l.Append(ctx, "a", []byte("again"), eventlog.AppendOptions{MsgID: "id-3"})
	if err != nil || !dup || seq != 4 {
		t.Fatalf("duplicate after restart = %d, %v, %v; want 4, true", seq, dup, err)
	}
	// The ExpectLast chain continues.
	if _, _, err := l.Append(ctx, "a", nil, eventlog.AppendOptions{ExpectLast: true, LastSeq: 9}); !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("stale ExpectLast after restart: %v", err)
	}
	if seq, _, err := l.Append(ctx, "a", nil, eventlog.AppendOptions{ExpectLast: true, LastSeq: 10}); err != nil || seq != 11 {
		t.Fatalf("append after restart = %d, %v; want 11", seq, err)
	}
}

func startEmbeddedAt(tb testing.TB, cfg eventlog.EmbeddedConfig) (*server.Server, *nats.Conn) {
	tb.Helper()
	s, nc, err := eventlog.StartEmbedded(cfg, nil)
	if err != nil {
		tb.Fatalf("StartEmbedded: %v", err)
	}
	tb.Cleanup(func() { eventlog.Shutdown(s, nc) })
	return s, nc
}

func TestStartEmbeddedBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file, filepath.Join(file, "sub")} {
		s, nc, err := eventlog.StartEmbedded(eventlog.EmbeddedConfig{Dir: dir}, nil)
		if err == nil {
			eventlog.Shutdown(s, nc)
			t.Errorf("StartEmbedded(%q) succeeded", dir)
			continue
		}
		t.Logf("StartEmbedded(%q): %v", dir, err)
	}
}

func TestStartEmbeddedLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, nc, err := eventlog.StartEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()}, logger)
	if err != nil {
		t.Fatal(err)
	}
	eventlog.Shutdown(s, nc)
	if out := buf.String(); !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "component=nats-server") {
		t.Fatalf("server log not routed to the logger:\n%s", out)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, mode := range syncModes {
		b.Run("sync="+mode.String(), func(b *testing.B) {
			nc, gc := startEmbedded(b, mode)
			l := openJetStream(b, nc, eventlog.JetStreamConfig{GroupCommit: gc})
			ctx := context.Background()
			data := bytes.Repeat([]byte("x"), 256)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := l.Append(ctx, "bench", data, eventlog.AppendOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
