package ui

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestDecideUpdate(t *testing.T) {
	const a, b, c = "aaaa", "bbbb", "cccc"
	worker := func(active string) workerState { return workerState{Worker: true, Active: active} }
	cases := []struct {
		name   string
		f      updateFacts
		show   bool
		target string
	}{
		{"same version everywhere", updateFacts{Running: a, Server: a, Looked: true, workerState: worker(a)}, false, ""},
		{"worker not looked at yet", updateFacts{Running: a, Server: b}, false, ""},
		{"server is newer, worker still has ours", updateFacts{Running: a, Server: b, Looked: true, workerState: worker(a)}, false, ""},
		{"new worker installing", updateFacts{Running: a, Server: b, Looked: true, workerState: workerState{Worker: true, Installing: true}}, false, ""},
		{"new worker installing, go-app already notified", updateFacts{Running: a, Looked: true, Notified: true, workerState: workerState{Worker: true, Installing: true}}, false, ""},
		{"new worker active", updateFacts{Running: a, Server: b, Looked: true, workerState: worker(b)}, true, b},
		{"new worker active, server does not say", updateFacts{Running: a, Looked: true, workerState: worker(b)}, true, b},
		{"new worker active, older server (rollback)", updateFacts{Running: b, Server: a, Looked: true, workerState: worker(a)}, true, a},
		{"go-app notified, but the active cache is ours (page loaded mid-update)", updateFacts{Running: b, Looked: true, Notified: true, workerState: worker(b)}, false, ""},
		{"go-app notified, cache unknown", updateFacts{Running: a, Looked: true, Notified: true, workerState: worker("")}, true, ""},
		{"cache unknown, no notice", updateFacts{Running: a, Server: b, Looked: true, workerState: worker("")}, false, ""},
		{"no worker, server is newer", updateFacts{Running: a, Server: b, Looked: true}, true, b},
		{"no worker, same version", updateFacts{Running: a, Server: a, Looked: true}, false, ""},
		{"no worker, server does not say", updateFacts{Running: a, Looked: true}, false, ""},
		{"no worker, reload brought the old version back", updateFacts{Running: a, Server: b, Looked: true, Tried: updateTry{a, b}}, false, b},
		{"worker, reload brought the old version back", updateFacts{Running: a, Looked: true, workerState: worker(b), Tried: updateTry{a, b}}, false, b},
		{"no worker, a third version after a failed try", updateFacts{Running: a, Server: c, Looked: true, Tried: updateTry{a, b}}, true, c},
		{"running version unknown: go-app's notice only", updateFacts{Server: b, Looked: true, workerState: worker(b)}, false, ""},
		{"running version unknown, notified", updateFacts{Server: b, Notified: true}, true, ""},
	}
	for _, c := range cases {
		show, target := decideUpdate(c.f)
		if show != c.show || target != c.target {
			t.Errorf("%s: decideUpdate(%+v) = %v, %q; want %v, %q", c.name, c.f, show, target, c.show, c.target)
		}
	}
}

func TestLookOnWelcome(t *testing.T) {
	cases := []struct {
		running, server string
		want            bool
	}{
		{"aaaa", "bbbb", true},
		{"aaaa", "aaaa", false},
		{"aaaa", "", false}, // a server that does not say (older, or a CLI-only build)
		{"", "bbbb", false}, // not started by go-app's loader
	}
	for _, c := range cases {
		if got := lookOnWelcome(updateFacts{Running: c.running}, c.server); got != c.want {
			t.Errorf("lookOnWelcome(running %q, server %q) = %v, want %v", c.running, c.server, got, c.want)
		}
	}
}

// TestUpdateCheckIntervalIsDocumented: the bound docs/operations.md gives
// is the constant's.
func TestUpdateCheckIntervalIsDocumented(t *testing.T) {
	if UpdateCheckInterval < time.Minute || UpdateCheckInterval > 15*time.Minute {
		t.Errorf("UpdateCheckInterval %v: keep it between a minute (every open tab fetches the worker script) and the 15 minutes a deployment may take to reach a quiet tab", UpdateCheckInterval)
	}
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("every %d minutes (`ui.UpdateCheckInterval`)", int(UpdateCheckInterval/time.Minute))
	if !strings.Contains(string(b), want) {
		t.Errorf("docs/operations.md does not give the check interval as %q", want)
	}
}
