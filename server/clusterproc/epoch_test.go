package clusterproc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"livefeed/app/session"
	"livefeed/server/eventlog"
	"livefeed/server/internal/testnode"
	"livefeed/server/internal/wait"
	"livefeed/shared/protocol"
)

// TestEpochReset wipes a node's log under a client that keeps its feed
// and outbox (as a browser does), as an operator restoring the log alone
// would: the new log grows past the
// client's position with posts whose ids collide with the old ones. When
// the client comes back it must get history_gone and a snapshot and keep
// no post of the old log, and its pending edit of an old post must be
// rejected, not applied to the new post that shares its id.
func TestEpochReset(t *testing.T) {
	// An embedded node (its log in its data directory).
	data := t.TempDir()
	p := testnode.NewUnstarted(t, binary, testnode.FreeAddr(t), data, "--post-rate", "0")
	p.Start()
	t.Cleanup(func() { p.Signal(syscall.SIGKILL) })
	tok := signIn(t, p, "Ada")
	store := session.NewMemoryStore()

	// The old log: three posts, followed by the client.
	s1, stop1 := runSession(t, p, tok, store)
	var old []string
	for i := range 3 {
		op, err := s1.Post("main", fmt.Sprintf("old %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ack := waitAck(t, s1, op)
		old = append(old, ack.ID)
	}
	waitPos(t, s1, 3)
	oldEpoch := s1.Feed("main").Epoch
	if oldEpoch == "" {
		t.Fatal("the feed has no epoch")
	}
	// Offline, the client edits its first post: the edit waits in the outbox.
	p.Signal(syscall.SIGTERM)
	if _, err := s1.Edit("main", old[0], "edited while offline"); err != nil {
		t.Fatal(err)
	}
	stop1()

	// The log wiped: a new log, grown past the client's position.
	wipeLog(t, data)
	p.Start()
	for i := range 5 {
		postRetry(t, p, tok, "main", fmt.Sprintf("op-new-%d", i), fmt.Sprintf("new %d", i))
	}

	s2, _ := runSession(t, p, tok, store)
	wait.For(t, 20*time.Second, 10*time.Millisecond, func() error {
		f := s2.Feed("main")
		if f.Epoch == oldEpoch || len(f.Posts) != 5 {
			return fmt.Errorf("feed at %d (epoch %q, old %q) with %d posts", f.Pos, f.Epoch, oldEpoch, len(f.Posts))
		}
		if len(s2.Rejected()) != 1 {
			return fmt.Errorf("%d rejected actions, want the offline edit", len(s2.Rejected()))
		}
		return nil
	})
	for _, post := range s2.Feed("main").Posts {
		if !strings.HasPrefix(post.Text, "new ") {
			t.Errorf("post %s %q is left from the old log", post.ID, post.Text)
		}
	}
	if st := s2.Status(); st.Stats.HistoryGone != 1 {
		t.Errorf("history_gone %d times, want 1", st.Stats.HistoryGone)
	}
	if r := s2.Rejected()[0]; r.Action.ID != old[0] || r.Error.Code != protocol.CodeNotFound {
		t.Errorf("rejected %+v, want the edit of %s with not_found", r, old[0])
	}
	// The new post sharing the old one's id is untouched, on the server too.
	snap, err := snapshot(p, "main")
	if err != nil {
		t.Fatal(err)
	}
	for _, post := range snap.Posts {
		if post.Edited != 0 || !strings.HasPrefix(post.Text, "new ") {
			t.Errorf("server post %s %q (edited %d): the old log's edit reached it", post.ID, post.Text, post.Edited)
		}
	}
	t.Logf("old epoch %s, new %s: %d posts kept, edit of %s rejected: %s", oldEpoch, snap.Epoch, len(snap.Posts), old[0], s2.Rejected()[0].Error.Message)
}

// wipeLog removes every JetStream stream of the embedded node's data
// directory but the accounts bucket: the log and its snapshots are gone
// while the client's session record, and so its token, stays.
func wipeLog(t *testing.T, data string) {
	t.Helper()
	dir := filepath.Join(data, "jetstream", "jetstream", "$G", "streams")
	streams, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range streams {
		if st.Name() == "KV_"+eventlog.DefaultAccountsBucket {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, st.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// runSession runs an app/session client of node p following "main" with
// store until stop (or the test's end).
func runSession(t *testing.T, p *testnode.Process, token string, store session.Store) (*session.Session, func()) {
	s := session.New(session.Config{
		URL: p.WSURL(), Token: token, Client: "clusterproc", Feeds: []string{"main"}, Store: store,
		Backoff: session.Backoff{Base: 20 * time.Millisecond, Cap: 200 * time.Millisecond},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return s, stop
}

func waitAck(t *testing.T, s *session.Session, op string) protocol.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ack, err := s.WaitAck(ctx, op)
	if err != nil {
		t.Fatalf("op %s: %v", op, err)
	}
	return ack
}

func waitPos(t *testing.T, s *session.Session, pos uint64) {
	t.Helper()
	wait.Until(t, 20*time.Second, fmt.Sprintf("the feed at %d", pos), func() bool {
		p, synced := s.FeedPos("main")
		return synced && p >= pos
	})
}
