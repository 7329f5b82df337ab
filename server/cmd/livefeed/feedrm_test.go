package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"livefeed/server/internal/testnode"
	"livefeed/server/node"
	"livefeed/shared/protocol"
)

// TestFeedRm: the CLI removes a feed with the token from the environment,
// and says why when the server refuses.
func TestFeedRm(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	tn := testnode.Start(t, t.TempDir(), func(c *node.Config) { c.AdminToken = token })
	_, u := tn.SignIn(t, "Ada")
	if _, err := tn.Service.Do(context.Background(), u, protocol.Action{Op: "o1", Feed: "spam", Text: "x"}.WithKind(protocol.TypePost)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIVEFEED_ADMIN_TOKEN", token)
	var out bytes.Buffer
	if err := feedRm(context.Background(), []string{"--server", tn.Srv.URL, "--feed", "spam"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Feed string
		Pos  uint64
	}
	if json.Unmarshal(out.Bytes(), &res) != nil || res.Feed != "spam" || res.Pos == 0 {
		t.Fatalf("output %s", out.String())
	}
	if len(tn.Service.View().Snapshot("spam").Posts) != 0 {
		t.Fatal("posts still there")
	}
	err := feedRm(context.Background(), []string{"--server", tn.Srv.URL, "--feed", "spam"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("removing again: %v", err)
	}
	t.Setenv("LIVEFEED_ADMIN_TOKEN", "wrong")
	if err := feedRm(context.Background(), []string{"--server", tn.Srv.URL, "--feed", "main"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong token: %v", err)
	}
}
