package wait

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeT records a failure instead of stopping the test.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	panic(f) // as t.Fatalf ends the goroutine
}

func TestForReportsTheLastError(t *testing.T) {
	n := 0
	got := func() (ft *fakeT) {
		ft = &fakeT{TB: t}
		defer func() { recover() }()
		For(ft, 30*time.Millisecond, time.Millisecond, func() error {
			n++
			return errors.New("3 of 5 clients behind, the last at 41")
		})
		return ft
	}()
	if !strings.Contains(got.failed, "3 of 5 clients behind, the last at 41") || n < 2 {
		t.Fatalf("failure %q after %d checks", got.failed, n)
	}
	i := 0
	if d := For(t, time.Second, time.Millisecond, func() error {
		if i++; i < 3 {
			return errors.New("not yet")
		}
		return nil
	}); d <= 0 || i != 3 {
		t.Fatalf("waited %v, %d checks", d, i)
	}
}
