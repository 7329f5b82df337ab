package feed

import (
	"context"
	"fmt"
	"testing"
	"time"

	"livefeed/server/eventlog"
	"livefeed/server/internal/wait"
)

// TestFollowerBehindTrim: a node that has not yet applied records another
// node compacted away (it opened before the trim, or lagged behind it)
// restores the newest snapshot and follows on from there, rather than
// skipping the trimmed records. Before, it applied only what was still in
// the log: TestRetentionClusterWide saw a node with 89 of 180 posts, its
// view at 0 when record 92 (prev 91) arrived.
func TestFollowerBehindTrim(t *testing.T) {
	ctx := context.Background()
	log := eventlog.NewMemory()
	late, err := Open(ctx, log, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	writer := running(t, log, Config{RetainEvents: 4})
	for i := 1; i <= 10; i++ {
		mustDo(t, writer, postAction("a", fmt.Sprint("o", i), fmt.Sprint("post ", i)))
	}
	if err := writer.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := log.Bounds(ctx); first != 7 {
		t.Fatalf("log starts at %d after keeping 4 of 10", first)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- late.Run(rctx) }()
	t.Cleanup(func() { cancel(); <-done })
	mustDo(t, writer, postAction("a", "o11", "post 11"))
	wait.For(t, 5*time.Second, 10*time.Millisecond, func() error {
		if got := len(late.View().Snapshot("a").Posts); got != 11 || late.View().Applied() != 11 {
			return fmt.Errorf("the late node has %d posts, applied %d; want 11, 11", got, late.View().Applied())
		}
		return nil
	})
	if !late.View().Equal(writer.View()) {
		t.Error("the late node's view differs from the writer's")
	}
}
