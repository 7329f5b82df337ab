package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"livefeed/app/session"
)

// The command-line client's transport: --transport auto (the ladder:
// WebSocket, then an HTTP stream, then polls; see app/session/ladder.go),
// or one of them. What worked is remembered per server next to the guest
// sessions ($XDG_CONFIG_HOME/livefeed/transport.json, mode 0600), so the
// next run behind the same proxy starts on the rung that works.

// transportFlag adds --transport to fs.
func transportFlag(fs *flag.FlagSet) *string {
	return fs.String("transport", envOr("LIVEFEED_TRANSPORT", session.TransportAuto),
		"auto (WebSocket, falling back to HTTP), ws, stream or poll (env LIVEFEED_TRANSPORT)")
}

// checkTransport validates a --transport value.
func checkTransport(t string) error {
	switch t {
	case session.TransportAuto, session.TransportWebSocket, session.TransportStream, session.TransportPoll:
		return nil
	}
	return fmt.Errorf("--transport %q: want auto, ws, stream or poll", t)
}

// fileMemory is a session.Store of the ladder's memory for one server,
// kept in the config directory (nothing else of the session is kept).
type fileMemory struct {
	path, server string
}

func newFileMemory(server string) session.Store {
	path, err := guestFile()
	if err != nil {
		return nil // no config directory: remembered for this run only
	}
	return fileMemory{path: filepath.Join(filepath.Dir(path), "transport.json"), server: strings.TrimRight(server, "/")}
}

func (m fileMemory) load() map[string]map[string]json.RawMessage {
	all := map[string]map[string]json.RawMessage{}
	if b, err := os.ReadFile(m.path); err == nil {
		_ = json.Unmarshal(b, &all)
	}
	return all
}

func (m fileMemory) Get(key string) ([]byte, bool) {
	guestMu.Lock()
	defer guestMu.Unlock()
	v, ok := m.load()[m.server][key]
	return v, ok
}

func (m fileMemory) Set(key string, val []byte) error {
	guestMu.Lock()
	defer guestMu.Unlock()
	all := m.load()
	if all[m.server] == nil {
		all[m.server] = map[string]json.RawMessage{}
	}
	all[m.server][key] = json.RawMessage(val)
	return m.save(all)
}

func (m fileMemory) Delete(key string) error {
	guestMu.Lock()
	defer guestMu.Unlock()
	all := m.load()
	delete(all[m.server], key)
	return m.save(all)
}

func (m fileMemory) save(all map[string]map[string]json.RawMessage) error {
	b, _ := json.MarshalIndent(all, "", "  ")
	if err := os.MkdirAll(filepath.Dir(m.path), 0o700); err != nil {
		return err
	}
	tmp := m.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, m.path)
}
