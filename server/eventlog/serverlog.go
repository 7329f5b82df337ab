package eventlog

import (
	"fmt"
	"log/slog"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerLogger adapts a slog.Logger to nats-server's Logger, for a server
// run inside this process: the embedded one (StartEmbedded) and the test
// clusters of server/cluster. nats-server's notices are routine (it logs
// every start, route and leader change), so they go out at debug level.
func ServerLogger(l *slog.Logger) server.Logger { return serverLogger{l} }

type serverLogger struct{ l *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
