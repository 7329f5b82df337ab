package childproc

import "syscall"

// SysProcAttr returns the attributes of a child process: SIGKILLed by the
// kernel when its starter dies, and in a process group of its own when
// ownGroup is set (so that a signal to the group reaches what it starts).
//
// The kernel sends the signal when the thread that started the child
// ends, not the process; Go ends a thread only when a goroutine locked to
// it (runtime.LockOSThread) returns, which the starters here never do.
func SysProcAttr(ownGroup bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: ownGroup, Pdeathsig: syscall.SIGKILL}
}
