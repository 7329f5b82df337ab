package eventlog_test

import (
	"errors"
	"testing"

	"livefeed/server/eventlog"
	"livefeed/server/eventlog/logtest"
)

func TestMemory(t *testing.T) {
	logtest.Run(t, func(t *testing.T) eventlog.Log {
		return eventlog.NewMemory()
	})
}

func TestMemoryExpectLastCheckedBeforeMsgID(t *testing.T) {
	testExpectLastCheckedBeforeMsgID(t, eventlog.NewMemory())
}

// testExpectLastCheckedBeforeMsgID pins the behaviour of a single JetStream
// server (R1), which Memory mirrors: retrying an append that succeeded,
// with the same ExpectLast and MsgID, fails with ErrConflict instead of
// reporting a duplicate, because the expected last sequence is checked
// first. Without ExpectLast the retry is reported as a duplicate.
func testExpectLastCheckedBeforeMsgID(t *testing.T, l eventlog.Log) {
	ctx := t.Context()
	opts := eventlog.AppendOptions{ExpectLast: true, LastSeq: 0, MsgID: "id-1"}
	seq, dup, err := l.Append(ctx, "a", []byte("x"), opts)
	if err != nil || dup || seq != 1 {
		t.Fatalf("first append = %d, %v, %v", seq, dup, err)
	}
	if _, _, err := l.Append(ctx, "a", []byte("x"), opts); !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("retry with ExpectLast: err = %v, want ErrConflict", err)
	}
	seq, dup, err = l.Append(ctx, "a", []byte("x"), eventlog.AppendOptions{MsgID: "id-1"})
	if err != nil || !dup || seq != 1 {
		t.Fatalf("retry without ExpectLast = %d, %v, %v; want 1, true, nil", seq, dup, err)
	}
	// With an up to date ExpectLast the duplicate is found.
	seq, dup, err = l.Append(ctx, "a", []byte("x"), eventlog.AppendOptions{ExpectLast: true, LastSeq: 1, MsgID: "id-1"})
	if err != nil || !dup || seq != 1 {
		t.Fatalf("retry with current ExpectLast = %d, %v, %v; want 1, true, nil", seq, dup, err)
	}
}
