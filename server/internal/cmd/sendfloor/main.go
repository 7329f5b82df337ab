//go:build linux

// Command sendfloor measures the floor under the server's fan-out on this
// machine: the cost of doing nothing but write a 100-byte message to each
// of N loopback TCP sockets in turn, 10 passes a second, while a reader
// process on another CPU reads them (a goroutine per socket). It prints
// the writer's CPU per write (user + system) and how long a pass takes
// (when the last socket has its message), which no fan-out over the same
// sockets on the same core can beat. See docs/performance.md.
//
//	go run ./server/internal/cmd/sendfloor -n 5000 -send
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"livefeed/server/bench"
)

func main() {
	n := flag.Int("n", 5000, "sockets (at most 9,000: both ends count against the open-file limit)")
	passes := flag.Int("passes", 100, "passes, 10 a second")
	size := flag.Int("size", 100, "bytes per message")
	useSend := flag.Bool("send", false, "send(2) with MSG_DONTWAIT as a raw system call (as the gateway does) instead of write(2)")
	writerCPU := flag.String("writer-cpu", "0", "CPU of the writer (taskset list)")
	readerCPU := flag.String("reader-cpu", "1", "CPU of the reader process")
	reader := flag.String("reader", "", "internal: be the reader, connecting N sockets to this address")
	flag.Parse()
	if *n < 1 || *n > 9000 || *passes < 1 || *size < 1 {
		log.Fatal("sendfloor: -n must be 1..9000, -passes and -size at least 1")
	}
	if *reader != "" {
		read(*reader, *n)
		return
	}
	if err := bench.PinSelf(*writerCPU); err != nil {
		log.Fatalf("sendfloor: pin the writer: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	self, _ := os.Executable()
	cmd, start, err := bench.PinnedCommand(*readerCPU, self, "-reader", ln.Addr().String(), "-n", fmt.Sprint(*n))
	if err != nil {
		log.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := start(cmd); err != nil {
		log.Fatalf("sendfloor: start the reader: %v", err)
	}
	defer cmd.Process.Kill()
	raws := make([]syscall.RawConn, 0, *n)
	for len(raws) < *n {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			log.Fatal(err)
		}
		raws = append(raws, raw)
	}
	msg := make([]byte, *size)
	write := func(fd uintptr) bool { syscall.Write(int(fd), msg); return true }
	if *useSend {
		write = func(fd uintptr) bool {
			syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)), syscall.MSG_DONTWAIT, 0, 0)
			return true
		}
	}
	time.Sleep(time.Second) // connections settle
	var took []time.Duration
	c0 := cpuTime()
	for range *passes {
		start := time.Now()
		for _, r := range raws {
			r.Write(write)
		}
		took = append(took, time.Since(start))
		time.Sleep(100*time.Millisecond - time.Since(start))
	}
	used := cpuTime() - c0
	slices.Sort(took)
	call := "write(2)"
	if *useSend {
		call = "send(2)"
	}
	fmt.Printf("%d sockets, %d B, %s: %.2f µs of CPU per write; pass p50 %v, p99 %v, max %v\n", *n, *size, call,
		float64(used.Nanoseconds())/1e3/float64(*n**passes),
		took[len(took)/2].Round(time.Millisecond), took[len(took)*99/100].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func read(addr string, n int) {
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			b := make([]byte, 4096)
			for {
				if _, err := c.Read(b); err != nil {
					os.Exit(0)
				}
			}
		}()
	}
	select {}
}
