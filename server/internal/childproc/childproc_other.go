//go:build !linux

package childproc

import "syscall"

// SysProcAttr returns the attributes of a child process: in a process
// group of its own when ownGroup is set. Outside Linux there is no
// parent-death signal: a starter that dies leaves its children running.
func SysProcAttr(ownGroup bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: ownGroup}
}
