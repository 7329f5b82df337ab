// Package childproc starts the processes of tests and of `make cluster`
// (nats-server, livefeed, HAProxy) so that they do not outlive their
// starter. A test's cleanups stop what it started, but a test that times
// out panics and runs none of them, and a starter that is SIGKILLed runs
// nothing at all: the children would go on running, holding ports and
// temporary directories. On Linux the kernel kills them instead
// (SysProcAttr, Pdeathsig); elsewhere only the cleanups do. Healthy asks
// a started child whether it is up.
package childproc
