// Command livefeed is the Livefeed server and its command-line client.
//
//	livefeed serve --addr 127.0.0.1:8080 --data ./data
//	livefeed post  --server URL --feed NAME --name DISPLAYNAME TEXT
//	livefeed tail  --server URL --feed NAME [--since POS] [--name DISPLAYNAME]
//	livefeed feed-rm --server URL --feed NAME   (admin token in LIVEFEED_ADMIN_TOKEN)
//
// Flags are a contract: other tools script them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "livefeed:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: livefeed <command> [flags]

commands:
  serve   run the server
  post    post one text to a feed and print the acknowledged event
  tail    print a feed's events as JSON lines, reconnecting until interrupted
  feed-rm remove a feed (operators: needs the server's admin token)
  bench   load-test a server (started or given): fan-out latency, memory, CPU;
          prints one JSON object (see docs/performance.md)
  version print the version

Run "livefeed <command> -h" for the flags of a command.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "post":
		return post(ctx, args[1:], stdout, stderr)
	case "tail":
		return tail(ctx, args[1:], stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "feed-rm":
		return feedRm(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
