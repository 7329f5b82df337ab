package testnode

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RunWithBinary is a TestMain body for tests that run the real binary: it
// builds the livefeed command (package dir pkg, relative to the test's
// package) into a temporary directory, stores its path in *binary, runs the
// tests and removes the directory.
func RunWithBinary(m *testing.M, pkg string, binary *string) int {
	dir, err := os.MkdirTemp("", "livefeed-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	*binary = filepath.Join(dir, "livefeed")
	if out, err := exec.Command("go", "build", "-o", *binary, pkg).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
		return 1
	}
	return m.Run()
}
