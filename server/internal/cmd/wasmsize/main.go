// Command wasmsize prints where the bytes of a Go WebAssembly binary go: the
// size of each section, and the code bytes of each Go package (from the
// function names in the "name" section, so the binary must be built without
// -ldflags=-s; `make wasm-size` builds one).
//
//	go run ./server/internal/cmd/wasmsize [-n 40] [-f PREFIX] FILE.wasm
//
// -f PREFIX also lists the functions whose (mangled) name starts with
// PREFIX, largest first. The data section (type descriptors, the pcln table,
// strings) cannot be split by package from the binary alone. go tool nm does
// not read wasm files, hence this command.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	top := flag.Int("n", 40, "packages to list")
	prefix := flag.String("f", "", "also list the functions whose name starts with `PREFIX`")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-n 40] [-f PREFIX] FILE.wasm")
		os.Exit(2)
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		var m *module
		if m, err = parse(b); err == nil {
			report(m, *top, *prefix)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "wasmsize:", err)
	os.Exit(1)
}

// module is what wasmsize needs of a wasm binary.
type module struct {
	sections map[string]int // section name -> bytes
	funcs    []fn           // defined functions, in index order
}

type fn struct {
	name string
	size int
}

var sectionNames = []string{"custom", "type", "import", "function", "table", "memory",
	"global", "export", "start", "element", "code", "data", "datacount"}

type reader struct {
	b   []byte
	i   int
	err error
}

var errTruncated = errors.New("truncated or malformed wasm")

func (r *reader) byte() byte {
	if r.i >= len(r.b) {
		r.err = errTruncated
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *reader) uleb() int {
	var x uint64
	for shift := uint(0); shift < 64 && r.err == nil; shift += 7 {
		c := r.byte()
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int(x)
		}
	}
	r.err = errTruncated
	return 0
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || r.i+n > len(r.b) {
		r.err = errTruncated
		r.i = len(r.b)
		return nil
	}
	r.i += n
	return r.b[r.i-n : r.i]
}

func (r *reader) name() string { return string(r.bytes(r.uleb())) }

// parse reads the section sizes, the number of imported functions, the code
// bodies' sizes and the function names.
func parse(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a wasm binary")
	}
	m := &module{sections: map[string]int{}}
	imported := 0
	var sizes []int
	names := map[int]string{}
	r := &reader{b: b, i: 8}
	for r.i < len(b) && r.err == nil {
		id := int(r.byte())
		s := &reader{b: r.bytes(r.uleb())}
		label := fmt.Sprint("section ", id)
		if id < len(sectionNames) {
			label = sectionNames[id]
		}
		switch id {
		case 0:
			custom := s.name()
			label = "custom " + custom
			if custom == "name" {
				readNames(s, names)
			}
		case 2:
			imported = countImportedFuncs(s)
		case 10:
			for n := s.uleb(); n > 0 && s.err == nil; n-- {
				size := s.uleb()
				s.bytes(size)
				sizes = append(sizes, size)
			}
		}
		if s.err != nil {
			return nil, fmt.Errorf("%s section: %w", label, s.err)
		}
		m.sections[label] += len(s.b)
	}
	if r.err != nil {
		return nil, r.err
	}
	for i, size := range sizes {
		m.funcs = append(m.funcs, fn{name: names[imported+i], size: size})
	}
	return m, nil
}

// readNames reads the function names subsection (1) of a "name" section.
func readNames(s *reader, names map[int]string) {
	for s.i < len(s.b) && s.err == nil {
		sub := s.byte()
		body := &reader{b: s.bytes(s.uleb())}
		if sub != 1 {
			continue
		}
		for n := body.uleb(); n > 0 && body.err == nil; n-- {
			idx := body.uleb()
			names[idx] = body.name()
		}
		s.err = body.err
	}
}

// countImportedFuncs counts the function imports (they come first in the
// function index space).
func countImportedFuncs(s *reader) int {
	funcs := 0
	for n := s.uleb(); n > 0 && s.err == nil; n-- {
		s.name()
		s.name()
		switch s.byte() {
		case 0: // function: type index
			s.uleb()
			funcs++
		case 1: // table: element type, limits
			s.byte()
			limits(s)
		case 2: // memory: limits
			limits(s)
		case 3: // global: value type, mutability
			s.bytes(2)
		}
	}
	return funcs
}

func limits(s *reader) {
	if flags := s.uleb(); flags&1 != 0 {
		s.uleb()
		s.uleb()
		return
	}
	s.uleb()
}

// pkgOf returns the package of a function name as Go's wasm linker writes it
// ("livefeed_app_ui.__feedPage_.Render", "github.com_coder_websocket.Dial"):
// up to the first dot that does not belong to a host name.
func pkgOf(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	start := 0
	for {
		dot := strings.IndexByte(name[start:], '.')
		if dot < 0 {
			return name
		}
		dot += start
		rest := name[dot+1:]
		host := false
		for _, tld := range []string{"com_", "org_", "io_", "in_", "net_", "dev_"} {
			host = host || strings.HasPrefix(rest, tld)
		}
		if !host {
			return name[:dot]
		}
		start = dot + 1
	}
}

func report(m *module, top int, prefix string) {
	var labels []string
	total := 0
	for l, n := range m.sections {
		labels = append(labels, l)
		total += n
	}
	sort.Slice(labels, func(i, j int) bool { return m.sections[labels[i]] > m.sections[labels[j]] })
	fmt.Printf("%10d  sections in all\n", total)
	for _, l := range labels {
		fmt.Printf("%10d  %s\n", m.sections[l], l)
	}
	per := map[string]int{}
	code := 0
	for _, f := range m.funcs {
		per[pkgOf(f.name)] += f.size
		code += f.size
	}
	pkgs := make([]string, 0, len(per))
	for p := range per {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool {
		return per[pkgs[i]] > per[pkgs[j]] || per[pkgs[i]] == per[pkgs[j]] && pkgs[i] < pkgs[j]
	})
	fmt.Printf("\n%10d  code of %d functions, by package:\n", code, len(m.funcs))
	for i, p := range pkgs {
		if i == top {
			fmt.Printf("%10s  (%d more packages)\n", "", len(pkgs)-top)
			break
		}
		fmt.Printf("%10d  %5.1f%%  %s\n", per[p], 100*float64(per[p])/float64(max(code, 1)), p)
	}
	if prefix == "" {
		return
	}
	fns := append([]fn(nil), m.funcs...)
	sort.SliceStable(fns, func(i, j int) bool { return fns[i].size > fns[j].size })
	fmt.Printf("\nfunctions %s*:\n", prefix)
	for _, f := range fns {
		if strings.HasPrefix(f.name, prefix) {
			fmt.Printf("%10d  %s\n", f.size, f.name)
		}
	}
}
