package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"livefeed/app/session"
	"livefeed/shared/protocol"
)

// wsURL turns http://host into ws://host/ws.
func wsURL(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("--server %q: want http(s)://host:port", server)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/ws"
	return u.String(), nil
}

func clientFlags(name string, stderr io.Writer) (*flag.FlagSet, *string, *string, *identity) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("LIVEFEED_SERVER", "http://127.0.0.1:8080"), "server URL (env LIVEFEED_SERVER)")
	feed := fs.String("feed", protocol.DefaultFeed, "feed name")
	id := &identity{}
	fs.StringVar(&id.name, "name", envOr("LIVEFEED_NAME", "cli"), "display name to sign in with as a guest (env LIVEFEED_NAME)")
	fs.StringVar(&id.token, "token", envOr("LIVEFEED_TOKEN", ""), "an account's API token (POST /api/tokens) to act as that account instead of a guest; prefer the env LIVEFEED_TOKEN, which ps does not show")
	return fs, server, feed, id
}

// identity is who the command-line client acts as: an account's API token
// (--token) or else a guest by display name (--name, guest.go).
type identity struct{ name, token string }

// tokenFor returns the bearer token for server.
func (id *identity) tokenFor(ctx context.Context, server string) (string, error) {
	if id.token != "" {
		return id.token, nil
	}
	return guestToken(ctx, server, id.name)
}

func post(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, server, feed, who := clientFlags("post", stderr)
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long without an acknowledgement")
	tr := transportFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkTransport(*tr); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if !protocol.ValidFeed(*feed) {
		return fmt.Errorf("--feed %q does not match %s", *feed, protocol.FeedPattern)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ws, err := wsURL(*server)
	if err != nil {
		return err
	}
	token, err := who.tokenFor(ctx, *server)
	if err != nil {
		return err
	}
	s := session.New(session.Config{URL: ws, Token: token, Client: "livefeed-cli/" + version,
		Transport: *tr, Remember: newFileMemory(*server)})
	op, err := s.Post(*feed, text)
	if err != nil {
		return err
	}
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx) }()
	ack, err := s.WaitAck(ctx, op)
	cancel()
	<-runErr
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			st := s.Status()
			return fmt.Errorf("no acknowledgement within %v (%s: %s)", *timeout, st.State, st.LastError)
		}
		return err
	}
	out := any(ack)
	if ack.Event != nil {
		out = ack.Event
	}
	return json.NewEncoder(stdout).Encode(out)
}

func tail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, server, feed, who := clientFlags("tail", stderr)
	since := fs.String("since", "", "print the events after this position (0: from the beginning); default: live from now")
	tr := transportFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkTransport(*tr); err != nil {
		return err
	}
	if !protocol.ValidFeed(*feed) {
		return fmt.Errorf("--feed %q does not match %s", *feed, protocol.FeedPattern)
	}
	ws, err := wsURL(*server)
	if err != nil {
		return err
	}
	cfg := session.Config{URL: ws, Client: "livefeed-cli/" + version, Feeds: []string{*feed}, InitialMode: protocol.ModeLive,
		Transport: *tr, Remember: newFileMemory(*server)}
	if *since != "" {
		var p uint64
		if _, err := fmt.Sscan(*since, &p); err != nil {
			return fmt.Errorf("--since %q: want a position (a non-negative integer)", *since)
		}
		cfg.InitialPos = map[string]uint64{*feed: p}
	}
	var token string
	for token == "" {
		token, err = who.tokenFor(ctx, *server)
		if err != nil {
			fmt.Fprintln(stderr, "livefeed:", err, "(retrying)")
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
	cfg.Token = token
	enc := json.NewEncoder(stdout)
	lines := make(chan any, 1024)
	cfg.OnUpdate = func(u session.Update) {
		if u.Kind == session.UpdateFeed && u.Event != nil {
			lines <- *u.Event
		}
	}
	cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	s := session.New(cfg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for l := range lines {
			enc.Encode(l)
		}
	}()
	err = s.Run(ctx)
	close(lines)
	<-done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
