package eventlog

import "fmt"

// checkFeed rejects feed names that cannot be used as a single NATS subject
// token. Feed names are validated by the caller against a stricter pattern
// ([a-z0-9][a-z0-9_-]{0,31}); this is a safety net so that no implementation
// can be made to write under a wildcard or into another subject hierarchy.
func checkFeed(feed string) error {
	if feed == "" {
		return fmt.Errorf("eventlog: empty feed name")
	}
	for i := 0; i < len(feed); i++ {
		switch c := feed[i]; {
		case c <= ' ', c == 0x7f, c == '.', c == '*', c == '>':
			return fmt.Errorf("eventlog: invalid feed name %q", feed)
		}
	}
	return nil
}
