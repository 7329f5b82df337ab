package testnode

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"livefeed/server/internal/childproc"
)

// Process is a "livefeed serve" child process (the binary RunWithBinary
// built) that can be stopped with a signal and started again on the same
// address and data directory, as an operator would.
type Process struct {
	t    testing.TB
	bin  string
	Addr string
	Data string
	Args []string // extra serve flags
	Wrap []string // a command the binary runs under (e.g. prlimit), if any

	mu  sync.Mutex
	cmd *exec.Cmd
	out syncBuffer
}

// NewProcess starts bin serve on a free loopback address with a fresh data
// directory, under the command wrap (nil: none), and kills it when the
// test ends.
func NewProcess(t testing.TB, bin string, wrap []string, args ...string) *Process {
	t.Helper()
	return StartProcess(t, bin, FreeAddr(t), t.TempDir(), wrap, args...)
}

// StartProcess starts bin serve on addr with data, and kills it when the
// test ends.
func StartProcess(t testing.TB, bin, addr, data string, wrap []string, args ...string) *Process {
	t.Helper()
	p := &Process{t: t, bin: bin, Addr: addr, Data: data, Args: args, Wrap: wrap}
	p.Start()
	t.Cleanup(func() { p.Signal(syscall.SIGKILL) })
	return p
}

// FreeAddr returns a loopback address nothing listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// URL is the server's base URL.
func (p *Process) URL() string { return "http://" + p.Addr }

// WSURL is the server's WebSocket URL.
func (p *Process) WSURL() string { return "ws://" + p.Addr + "/ws" }

// Output is what the process wrote so far (its logs).
func (p *Process) Output() string { return p.out.String() }

// Start starts the process and waits until /readyz answers 200.
func (p *Process) Start() {
	p.t.Helper()
	p.Launch()
	if err := p.WaitReady(30 * time.Second); err != nil {
		p.t.Fatal(err)
	}
}

// Launch starts the process without waiting for it to be ready.
func (p *Process) Launch() {
	p.t.Helper()
	argv := append([]string{p.bin, "serve", "--addr", p.Addr, "--data", p.Data, "--log-level", "warn"}, p.Args...)
	argv = append(slices.Clone(p.Wrap), argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	// Killed with the test process: a test that times out runs no cleanup.
	cmd.SysProcAttr = childproc.SysProcAttr(false)
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()
}

// Ready reports whether /readyz answers 200 now.
func (p *Process) Ready() bool {
	return childproc.Healthy(p.URL() + "/readyz")
}

// WaitReady waits until /readyz answers 200, up to timeout.
func (p *Process) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.Ready() {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("server not ready on %s after %s:\n%s", p.Addr, timeout, p.Output())
}

// Signal sends sig and waits for the process to exit.
func (p *Process) Signal(sig syscall.Signal) {
	p.mu.Lock()
	cmd := p.cmd
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	cmd.Wait()
}

// syncBuffer is a bytes.Buffer safe for the process's two writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// NewUnstarted prepares a process like StartProcess without starting it
// (Launch or Start it); the caller kills it (Signal) when done.
func NewUnstarted(t testing.TB, bin, addr, data string, args ...string) *Process {
	return &Process{t: t, bin: bin, Addr: addr, Data: data, Args: args}
}
