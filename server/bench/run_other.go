//go:build !linux

package bench

import (
	"context"
	"errors"
)

// Run needs Linux: the clients are read with epoll, and the server's
// memory and CPU come from /proc.
func Run(context.Context, Config) (*Result, error) {
	return nil, errors.New("bench: the load generator runs on Linux only (epoll, /proc)")
}
