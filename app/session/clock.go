package session

import (
	"sync"
	"time"
)

// The clock watcher: a jump of the wall clock (a laptop waking up) means
// the connection is likely dead.

// ClockJump is how far the wall clock may move beyond a one-second tick
// before the session concludes the machine was asleep (or the tab frozen):
// it then drops the connection, which may be dead without knowing it, and
// reconnects at once; a backoff wait in progress ends early.
const ClockJump = 5 * time.Second

// clockWatch signals when the wall clock jumps (the process was suspended).
// One ticker per process serves every session.
type clockWatch struct {
	jumped chan struct{}
}

var clock struct {
	sync.Mutex
	watchers map[*clockWatch]struct{}
	running  bool
}

func newClockWatch() *clockWatch {
	w := &clockWatch{jumped: make(chan struct{})}
	clock.Lock()
	defer clock.Unlock()
	if clock.watchers == nil {
		clock.watchers = map[*clockWatch]struct{}{}
	}
	clock.watchers[w] = struct{}{}
	if !clock.running {
		clock.running = true
		go runClock()
	}
	return w
}

func runClock() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now().Round(0) // wall clock only
	for range t.C {
		now := time.Now().Round(0)
		jumped := now.Sub(last) > time.Second+ClockJump
		last = now
		clock.Lock()
		if jumped {
			for w := range clock.watchers {
				close(w.jumped)
				delete(clock.watchers, w)
			}
		}
		if len(clock.watchers) == 0 {
			clock.running = false
			clock.Unlock()
			return
		}
		clock.Unlock()
	}
}
