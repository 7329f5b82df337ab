//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// procStats is what the harness reads about a process from /proc.
type procStats struct {
	RSSKB   int64   // VmRSS
	CPU     float64 // user + system seconds
	Threads int
}

// clockTicks is sysconf(_SC_CLK_TCK); 100 on every Linux this runs on.
const clockTicks = 100

func readProc(pid int) (procStats, error) {
	var st procStats
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			st.RSSKB, _ = strconv.ParseInt(f[1], 10, 64)
		case "Threads:":
			st.Threads, _ = strconv.Atoi(f[1])
		}
	}
	b, err = os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	// The command name (field 2) may contain spaces; fields after it are
	// counted from the closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return st, fmt.Errorf("bench: cannot parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) > 13 {
		ut, _ := strconv.ParseFloat(f[11], 64)
		stt, _ := strconv.ParseFloat(f[12], 64)
		st.CPU = (ut + stt) / clockTicks
	}
	return st, nil
}

// raiseNoFile raises the soft open-file limit to the hard limit and returns
// the new soft limit. Children started afterwards inherit it.
func raiseNoFile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

// cpuSet is a CPU affinity mask for up to 1024 CPUs.
type cpuSet [16]uint64

func parseCPUList(s string) (cpuSet, int, error) {
	var set cpuSet
	n := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return set, 0, fmt.Errorf("bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return set, 0, fmt.Errorf("bad CPU list %q", s)
			}
		}
		for c := a; c <= b && c < 1024; c++ {
			if set[c/64]&(1<<(c%64)) == 0 {
				n++
			}
			set[c/64] |= 1 << (c % 64)
		}
	}
	if n == 0 {
		return set, 0, fmt.Errorf("empty CPU list %q", s)
	}
	return set, n, nil
}

func setAffinity(tid int, set *cpuSet) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(*set), uintptr(unsafe.Pointer(set)))
	if e != 0 {
		return e
	}
	return nil
}

// PinSelf pins every thread of this process to cpus and sets GOMAXPROCS to
// their number. Threads created later inherit the mask of their creator.
func PinSelf(cpus string) error {
	set, n, err := parseCPUList(cpus)
	if err != nil {
		return err
	}
	err = eachThread(func(tid int) error {
		if err := setAffinity(tid, &set); err != nil {
			return fmt.Errorf("sched_setaffinity: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(n)
	return nil
}

// eachThread calls fn with the id of every thread of this process, until
// fn returns an error.
func eachThread(fn func(tid int) error) error {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if err := fn(tid); err != nil {
			return err
		}
	}
	return nil
}

// PinnedCommand returns cmd pinned to cpus: with taskset when it is
// installed, else the returned start function pins the forking thread (the
// child inherits its mask) around cmd.Start.
func PinnedCommand(cpus, name string, args ...string) (*exec.Cmd, func(*exec.Cmd) error, error) {
	if cpus == "" {
		return exec.Command(name, args...), (*exec.Cmd).Start, nil
	}
	set, _, err := parseCPUList(cpus)
	if err != nil {
		return nil, nil, err
	}
	if ts, err := exec.LookPath("taskset"); err == nil {
		return exec.Command(ts, append([]string{"-c", cpus, name}, args...)...), (*exec.Cmd).Start, nil
	}
	start := func(cmd *exec.Cmd) error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var old cpuSet
		if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(old), uintptr(unsafe.Pointer(&old))); e != 0 {
			return e
		}
		if err := setAffinity(0, &set); err != nil {
			return err
		}
		err := cmd.Start()
		setAffinity(0, &old)
		return err
	}
	return exec.Command(name, args...), start, nil
}

func scrapeGoMem(ctx context.Context, base string) (goMem, bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return goMem{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return goMem{}, false
	}
	var m goMem
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			m.HeapInuseMB, found = round1(f/(1<<20)), true
		case "go_memstats_heap_alloc_bytes":
			m.HeapAllocMB = round1(f / (1 << 20))
		case "go_memstats_stack_inuse_bytes":
			m.StackInuseMB = round1(f / (1 << 20))
		case "go_memstats_sys_bytes":
			m.SysMB = round1(f / (1 << 20))
		case "go_goroutines":
			m.Goroutines = int(f)
		}
	}
	return m, found
}

// machineBusy returns the CPU seconds all CPUs have spent busy (not idle or
// waiting for I/O) since boot, from /proc/stat.
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already in user
			break
		}
		x, _ := strconv.ParseFloat(v, 64)
		busy += x
	}
	return busy / clockTicks
}

// waitQuiet waits until the other processes of the machine (all but this
// one and pid) used less than maxPercent of one CPU for 9 seconds, or until
// limit passed; it returns the last figure.
func waitQuiet(ctx context.Context, pid int, maxPercent float64, limit time.Duration, logf func(string, ...any)) float64 {
	deadline := time.Now().Add(limit)
	quiet := 0
	for {
		other := otherCPU(ctx, pid, 3*time.Second)
		if other < maxPercent {
			quiet++
		} else {
			quiet = 0
			logf("machine busy: other processes use %.0f%% of a CPU; waiting", other)
		}
		// Quiet for 9 s in a row: the load of test suites comes in bursts.
		if quiet >= 3 || time.Now().After(deadline) || ctx.Err() != nil {
			return other
		}
	}
}

// otherCPU measures the CPU use (percent of one CPU) of every process but
// this one and pid over d.
func otherCPU(ctx context.Context, pid int, d time.Duration) float64 {
	m0, s0, p0 := machineBusy(), pidCPU(os.Getpid()), pidCPU(pid)
	st := time.Now()
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	m1, s1, p1 := machineBusy(), pidCPU(os.Getpid()), pidCPU(pid)
	return max(0, (m1-m0)-(s1-s0)-(p1-p0)) / time.Since(st).Seconds() * 100
}

func pidCPU(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	st, _ := readProc(pid)
	return st.CPU
}

// setNiceThreads sets the nice value of every thread of this process
// (Linux keeps it per thread; threads created later inherit their
// creator's).
func setNiceThreads(nice int) error {
	return eachThread(func(tid int) error {
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
			return fmt.Errorf("setpriority: %w", err)
		}
		return nil
	})
}

// withThreadNice runs start (which forks a child) on a thread whose nice
// value is nice, so that the child and all its threads inherit it.
func withThreadNice(nice int, start func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	old, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return err
	}
	// The raw getpriority system call returns 20 - nice.
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
		return fmt.Errorf("setpriority: %w", err)
	}
	err = start()
	syscall.Setpriority(syscall.PRIO_PROCESS, tid, 20-old)
	return err
}
