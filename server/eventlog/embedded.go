package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// SyncMode is when the embedded log fsyncs its records.
type SyncMode int

const (
	// SyncGroup (the default): group commit. The server writes each
	// record to its file before acknowledging it, and the log
	// (JetStreamConfig.GroupCommit) fsyncs the stream's files once for
	// every append acknowledged before the fsync started; Append returns
	// once its record is on disk, and nothing beyond the records on disk
	// is handed out. As safe as SyncAlways, with one fsync shared by all
	// concurrent appends.
	SyncGroup SyncMode = iota
	// SyncAlways: the server fsyncs every record before acknowledging it.
	// Safe, but one fsync per record, one at a time.
	SyncAlways
	// SyncPeriodic: records are acknowledged once written to the OS and
	// fsynced every SyncInterval: a process crash loses nothing, but a
	// machine crash (power loss, kernel crash) can lose up to SyncInterval
	// of acknowledged records.
	SyncPeriodic
)

// ParseSyncMode parses "group", "always" or "periodic".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "group":
		return SyncGroup, nil
	case "always":
		return SyncAlways, nil
	case "periodic":
		return SyncPeriodic, nil
	}
	return 0, fmt.Errorf(`sync mode must be "group", "always" or "periodic", not %q`, s)
}

// String returns the name ParseSyncMode parses.
func (m SyncMode) String() string {
	switch m {
	case SyncGroup:
		return "group"
	case SyncAlways:
		return "always"
	case SyncPeriodic:
		return "periodic"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// EmbeddedConfig configures the NATS server StartEmbedded runs in process.
type EmbeddedConfig struct {
	// Dir is the JetStream store directory (e.g. <data>/jetstream). It is
	// created if needed; nats-server keeps its files in a "jetstream"
	// subdirectory of it.
	Dir string
	// Sync is when records are fsynced (default SyncGroup). With
	// SyncGroup the server itself runs as with SyncPeriodic and the logs
	// opened on it must be given GroupCommitDir() (see JetStreamConfig).
	Sync SyncMode
	// SyncInterval is the period of nats-server's own background fsync
	// with SyncGroup and SyncPeriodic; 0 means nats-server's default of 2
	// minutes.
	SyncInterval time.Duration
}

// GroupCommitDir is the JetStreamConfig.GroupCommit of the logs opened on
// this server: Dir with SyncGroup, else empty.
func (c EmbeddedConfig) GroupCommitDir() string {
	if c.Sync == SyncGroup {
		return c.Dir
	}
	return ""
}

const embeddedStartTimeout = 10 * time.Second

// StartEmbedded starts a NATS server with JetStream inside the process,
// storing its data in cfg.Dir, and returns it with a client connection to
// it. The server does not listen on any TCP port: the connection is
// in-process (nats.InProcessServer), and so are other connections made with
// nats.InProcessServer(s).
//
// Durability: with SyncAlways nats-server fsyncs every message before it is
// acknowledged. With SyncPeriodic it only fsyncs every cfg.SyncInterval (by
// default every 2 minutes), which is faster but loses the last acknowledged
// records if the machine (not just the process) crashes. With SyncGroup the
// server runs as with SyncPeriodic and the log does the fsyncs (group
// commit): open it with JetStreamConfig.GroupCommit = cfg.GroupCommitDir().
//
// The server logs through logger: its notices at debug level, its warnings
// and errors at their levels; its debug output is enabled when logger is
// enabled for debug. A nil logger discards the server's log. Nothing is
// written to stdout or stderr directly.
//
// Stop both with Shutdown.
func StartEmbedded(cfg EmbeddedConfig, logger *slog.Logger) (*server.Server, *nats.Conn, error) {
	if cfg.Dir == "" {
		return nil, nil, errors.New("eventlog: embedded nats: no store directory")
	}
	if cfg.Sync < SyncGroup || cfg.Sync > SyncPeriodic {
		return nil, nil, fmt.Errorf("eventlog: embedded nats: bad sync mode %v", cfg.Sync)
	}
	if err := checkDir(cfg.Dir); err != nil {
		return nil, nil, fmt.Errorf("eventlog: embedded nats: store directory: %w", err)
	}
	opts := &server.Options{
		ServerName:   "livefeed",
		DontListen:   true,
		JetStream:    true,
		StoreDir:     cfg.Dir,
		SyncAlways:   cfg.Sync == SyncAlways,
		SyncInterval: cfg.SyncInterval,
		NoSigs:       true,
		NoLog:        logger == nil,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("eventlog: embedded nats: %w", err)
	}
	if logger != nil {
		debug := logger.Enabled(context.Background(), slog.LevelDebug)
		s.SetLoggerV2(ServerLogger(logger.With("component", "nats-server")), debug, false, false)
	}
	s.Start()
	if !s.ReadyForConnections(embeddedStartTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, nil, fmt.Errorf("eventlog: embedded nats: not ready after %s", embeddedStartTimeout)
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, nil, fmt.Errorf("eventlog: embedded nats: JetStream failed to start in %s (see the server log)", cfg.Dir)
	}
	nc, err := nats.Connect(s.ClientURL(),
		nats.InProcessServer(s),
		nats.Name("livefeed-eventlog"),
	)
	if err != nil {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, nil, fmt.Errorf("eventlog: embedded nats: connect: %w", err)
	}
	return s, nc, nil
}

// checkDir creates dir if needed and checks that files can be created in it.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// Shutdown drains and closes nc (either may be nil), then shuts s down and
// waits until it has stopped.
func Shutdown(s *server.Server, nc *nats.Conn) {
	if nc != nil {
		if err := nc.Drain(); err == nil {
			deadline := time.Now().Add(5 * time.Second)
			for !nc.IsClosed() && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}
		nc.Close()
	}
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}
