package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// envOr returns the environment variable key, or def when it is not set.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// envNumbers reads the numeric LIVEFEED_* variables that give flags their
// defaults. A variable that is set but malformed is an error naming it
// (err, after the flags are parsed), never a silent fall back to the
// default.
type envNumbers struct{ errs []error }

func (e *envNumbers) int(key string, def int) int {
	return envParse(e, key, def, "a whole number", strconv.Atoi)
}

func (e *envNumbers) float(key string, def float64) float64 {
	return envParse(e, key, def, "a number", func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
}

func (e *envNumbers) duration(key string, def time.Duration) time.Duration {
	return envParse(e, key, def, "a duration such as 10s or 1m30s", time.ParseDuration)
}

func envParse[T any](e *envNumbers, key string, def T, what string, parse func(string) (T, error)) T {
	v, ok := os.LookupEnv(key)
	if !ok {
		return def
	}
	n, err := parse(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("environment variable %s=%q is not %s", key, v, what))
		return def
	}
	return n
}

func (e *envNumbers) err() error { return errors.Join(e.errs...) }
