package childproc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs as the starter of TestChildDiesWithStarter when asked: it
// starts a child (sleep) with SysProcAttr, prints the child's pid and waits
// to be killed.
func TestMain(m *testing.M) {
	if os.Getenv("CHILDPROC_STARTER") == "1" {
		cmd := exec.Command("sleep", "60")
		cmd.SysProcAttr = SysProcAttr(true)
		if err := cmd.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		time.Sleep(time.Minute)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestChildDiesWithStarter SIGKILLs a starter (this test binary, run
// again) and checks that the child it started dies with it, as a test
// that times out must not leave its nats-server and livefeed processes
// running.
func TestChildDiesWithStarter(t *testing.T) {
	starter := exec.Command(os.Args[0], "-test.run", "^$")
	starter.Env = append(os.Environ(), "CHILDPROC_STARTER=1")
	out, err := starter.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := starter.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { starter.Process.Kill(); starter.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the starter said %q: %v", line, err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the starter said %q", line)
	}
	if !alive(child) {
		t.Fatalf("the child %d is not running before its starter dies", child)
	}
	starter.Process.Signal(syscall.SIGKILL)
	starter.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("the child %d still runs 10 s after its starter was killed", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs: it exists and is not a zombie (an
// orphan is reaped by whichever process adopts it, maybe never in a
// container).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}
