//go:build !linux

package gateway

import "syscall"

// send writes p to the non-blocking socket fd (see send_linux.go).
func send(fd uintptr, p []byte) (int, error) { return syscall.Write(int(fd), p) }
