package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"livefeed/shared/protocol"
)

// feedRm removes a feed, for an operator: DELETE /api/feeds/NAME with the
// admin token (from --token-file or LIVEFEED_ADMIN_TOKEN). Retried with the
// same op id until the server answers, so a lost answer removes it once.
func feedRm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("feed-rm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", envOr("LIVEFEED_SERVER", "http://127.0.0.1:8080"), "server URL (env LIVEFEED_SERVER)")
	name := fs.String("feed", "", "the feed to remove")
	tokenFile := fs.String("token-file", envOr("LIVEFEED_ADMIN_TOKEN_FILE", ""), "file holding the admin token (else env LIVEFEED_ADMIN_TOKEN)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !protocol.ValidFeed(*name) {
		return fmt.Errorf("--feed %q does not match %s", *name, protocol.FeedPattern)
	}
	token, err := secret("token-file", *tokenFile, "LIVEFEED_ADMIN_TOKEN")
	if err != nil {
		return err
	}
	if token == "" {
		return errors.New("no admin token: --token-file or LIVEFEED_ADMIN_TOKEN")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	u := strings.TrimRight(*server, "/") + "/api/feeds/" + *name + "?op=" + url.QueryEscape(protocol.NewOpID())
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode < 500 {
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
				}
				_, err := stdout.Write(body)
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer within %v (last: %v)", *timeout, err)
		case <-time.After(wait):
		}
	}
}
