// Command benchtable turns the load harness's results (the JSON objects
// that `livefeed bench -out FILE` appends, one per line) into the Markdown
// table of docs/performance.md, "How cost grows": one row per run, in the
// order of the file.
//
//	go run ./server/internal/cmd/benchtable FILE...
//
// A run that lost, doubled or reordered anything, or saw another process
// use more than a few percent of a CPU, says so in its last column: its
// figures are then not comparable with the others.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"livefeed/server/bench"
)

// busyPercent is how much of a CPU other processes may use during a run
// (bench.ServerStats.OtherCPUPercent) before the row says the machine was
// busy.
const busyPercent = 10

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtable FILE...")
		os.Exit(2)
	}
	var rs []bench.Result
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		got, err := read(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			os.Exit(1)
		}
		rs = append(rs, got...)
	}
	write(os.Stdout, rs)
}

// read decodes the results in r, one JSON object after another.
func read(r io.Reader) ([]bench.Result, error) {
	var rs []bench.Result
	dec := json.NewDecoder(bufio.NewReader(r))
	for {
		var res bench.Result
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			return rs, nil
		}
		if err != nil {
			return rs, fmt.Errorf("result %d: %w", len(rs)+1, err)
		}
		rs = append(rs, res)
	}
}

// write prints the table of rs.
func write(w io.Writer, rs []bench.Result) {
	fmt.Fprintln(w, "| subscribers | feeds | payload | events/s | deliveries/s | p50 ms | p99 ms | CPU per delivery | server CPU | notes |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rs {
		fmt.Fprintf(w, "| %d | %d | %s | %g | %.0f | %.0f | %.0f | %.1f µs | %.0f %% | %s |\n",
			r.Clients, r.Feeds, size(r.PayloadBytes), r.Rate, r.DeliveriesPerSec,
			r.Latency.P50, r.Latency.P99, r.Server.CPUSecPerMillionDeliver, r.Server.CPUPercent, notes(r))
	}
}

func size(b int) string {
	if b >= 1000 && b%1000 == 0 {
		return fmt.Sprintf("%d KB", b/1000)
	}
	return fmt.Sprintf("%d B", b)
}

// notes says what makes a run's figures suspect.
func notes(r bench.Result) string {
	var ns []string
	if r.Lost > 0 || r.Duplicated > 0 || r.OutOfOrder > 0 {
		ns = append(ns, fmt.Sprintf("%d lost, %d doubled, %d out of order", r.Lost, r.Duplicated, r.OutOfOrder))
	}
	if r.Connected < r.Clients {
		ns = append(ns, fmt.Sprintf("%d of %d connected", r.Connected, r.Clients))
	}
	if r.Server.OtherCPUPercent > busyPercent {
		ns = append(ns, fmt.Sprintf("busy: others %.0f %% of a CPU", r.Server.OtherCPUPercent))
	}
	if len(r.Errors) > 0 {
		ns = append(ns, fmt.Sprintf("%d errors", len(r.Errors)))
	}
	if len(ns) == 0 {
		return "–"
	}
	return strings.Join(ns, "; ")
}
