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

// EmbeddedConfig configures the NATS server StartEmbedded runs in process.
type EmbeddedConfig struct {
	// Dir is the JetStream store directory (e.g. <data>/jetstream). It is
	// created if needed; nats-server keeps its files in a "jetstream"
	// subdirectory of it.
	Dir string
	// SyncAlways makes the server fsync every message before acknowledging
	// it, so that an acknowledged Append survives a power loss or kernel
	// crash. When false, writes are acknowledged once written to the OS
	// and fsynced every SyncInterval: a process crash loses nothing but a
	// machine crash can lose up to SyncInterval of acknowledged records.
	SyncAlways bool
	// SyncInterval is the period of the background fsync when SyncAlways
	// is false; 0 means nats-server's default of 2 minutes.
	SyncInterval time.Duration
}

const embeddedStartTimeout = 10 * time.Second

// StartEmbedded starts a NATS server with JetStream inside the process,
// storing its data in cfg.Dir, and returns it with a client connection to
// it. The server does not listen on any TCP port: the connection is
// in-process (nats.InProcessServer), and so are other connections made with
// nats.InProcessServer(s).
//
// Durability: with cfg.SyncAlways every message is fsynced before it is
// acknowledged. Without it nats-server only fsyncs every cfg.SyncInterval
// (by default every 2 minutes), which is faster but loses the last
// acknowledged records if the machine (not just the process) crashes.
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
	if err := checkDir(cfg.Dir); err != nil {
		return nil, nil, fmt.Errorf("eventlog: embedded nats: store directory: %w", err)
	}
	opts := &server.Options{
		ServerName:   "livefeed",
		DontListen:   true,
		JetStream:    true,
		StoreDir:     cfg.Dir,
		SyncAlways:   cfg.SyncAlways,
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
		s.SetLoggerV2(serverLogger{logger.With("component", "nats-server")}, debug, false, false)
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

// serverLogger adapts a slog.Logger to nats-server's Logger.
type serverLogger struct{ l *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
