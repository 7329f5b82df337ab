package httpapi

// Rate limits of the HTTP API (token buckets per key,
// internal/tokenbucket.Keyed). Over one, a request gets 429 with
// CodeRateLimited, retry_after_ms and Retry-After, and changes nothing.
const (
	// DefaultPostRate is the default limit of posts per second per user
	// (the same as a WebSocket connection's actions, gateway.ActionRate);
	// bursts of twice as many pass, so a script that posts 40 times in a
	// row does not wait.
	DefaultPostRate = 20.0
	// DefaultSignInRate is the default limit of sign-ins per second per
	// client address, in bursts of SignInBurst: a whole office behind one
	// address signing in at nine, and then one a second. Each sign-in is a
	// new user, so without it one address could make users without end
	// (and with them feeds, see feed.DefaultNewFeedRate).
	DefaultSignInRate = 1.0
	SignInBurst       = 60
)
