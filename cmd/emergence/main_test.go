package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets tests run this binary as a separate process: with
// EMERGENCE_RUN_MAIN=1 the test binary behaves as the emergence command.
func TestMain(m *testing.M) {
	if os.Getenv("EMERGENCE_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCLI runs the command in-process and returns stdout, stderr and the error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

// mustCLI runs the command and fails the test on error.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("emergence %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errs)
	}
	return out
}
