package session

import "sync"

// Store keeps the session's state across reloads: the cached feeds with
// their positions, and the outbox. The browser uses localStorage; the
// command-line client keeps it in memory.
type Store interface {
	// Get returns the value stored under key, or ok == false.
	Get(key string) (val []byte, ok bool)
	// Set stores val under key.
	Set(key string, val []byte) error
	// Delete removes key.
	Delete(key string) error
}

// MemoryStore is a Store in memory.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: map[string][]byte{}} }

// Get implements Store.
func (s *MemoryStore) Get(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	return append([]byte(nil), v...), ok
}

// Set implements Store.
func (s *MemoryStore) Set(key string, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), val...)
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Store keys.
const (
	keyOutbox     = "livefeed/outbox"
	keyFeedPrefix = "livefeed/feed/"
)
