package main

import (
	"fmt"
	"os"
	"strings"
)

// secret returns a secret given by the file named in flag --name (its
// content, trimmed), else the environment variable env ("" for none).
// Secrets never come from the command line, where ps shows them.
func secret(name, file, env string) (string, error) {
	if file == "" {
		if env == "" {
			return "", nil
		}
		return os.Getenv(env), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}
