// Command brotli compresses files with brotli for the build: each FILE is
// written to FILE.br (through a temporary file, so an interrupted run leaves
// no truncated output) and kept. The Makefile runs it on web/app.wasm:
//
//	go run ./server/internal/cmd/brotli [-q 11] [-w 24] FILE...
//
// It uses a pure-Go encoder (github.com/andybalholm/brotli, a port of the
// reference encoder: the same bytes as `brotli -q 11 -w 24`), so the build
// needs nothing but Go. Quality 11 is slow (about 40 s of CPU for the 8 MB
// wasm) but runs once per wasm build; the server only serves the result.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
)

func main() {
	quality := flag.Int("q", brotli.BestCompression, "quality, 0 (fastest) to 11 (smallest)")
	window := flag.Int("w", 24, "log2 of the window size, 10 to 24")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: brotli [-q 11] [-w 24] FILE... (writes FILE.br)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, name := range flag.Args() {
		if err := compress(name, brotli.WriterOptions{Quality: *quality, LGWin: *window}); err != nil {
			fmt.Fprintln(os.Stderr, "brotli:", err)
			os.Exit(1)
		}
	}
}

func compress(name string, opts brotli.WriterOptions) error {
	in, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	out, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".br.tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name()) // after a successful rename, a no-op
	w := brotli.NewWriterOptions(out, opts)
	if _, err := w.Write(in); err != nil {
		out.Close()
		return err
	}
	if err := w.Close(); err != nil {
		out.Close()
		return err
	}
	if err := out.Chmod(0o644); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), name+".br")
}
