// Command emergence runs an Emergence node, its workers and its tools.
//
// One binary holds every role: the node (init, start, devnet, testnet), the
// key manager (keys), transactions and queries per module (tx, query), the
// off-chain workers (labeler, subnet miner and validator, prover) and offline
// tools (label aggregate, subnet yuma, zkml, bench, sim). main only wires
// flags to packages; the packages hold the logic.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		os.Exit(exitCode(err))
	}
}

// run executes the command line args and prints any error to stderr in the
// form "emergence: error: ..." followed by an optional "hint: ..." line.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		printError(stderr, err)
	}
	return err
}

// userError is an error caused by the user's input, with a hint on what to do.
type userError struct {
	msg  string
	hint string
	err  error
}

func (e *userError) Error() string { return e.msg }

func (e *userError) Unwrap() error { return e.err }

// errorf returns a user error with a hint. hint may be empty.
func errorf(hint, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &userError{msg: err.Error(), hint: hint, err: errors.Unwrap(err)}
}

// withHint attaches a hint to err.
func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &userError{msg: err.Error(), hint: hint, err: err}
}

func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "emergence: error: %v\n", err)
	var ue *userError
	if errors.As(err, &ue) && ue.hint != "" {
		fmt.Fprintf(w, "hint: %s\n", ue.hint)
	}
}

// txFailedError reports a transaction that reached the chain but failed with a result code.
type txFailedError struct{ code uint32 }

func (e *txFailedError) Error() string { return fmt.Sprintf("transaction failed with code %d", e.code) }

func exitCode(err error) int {
	var tf *txFailedError
	if errors.As(err, &tf) {
		return 3
	}
	var ue *userError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
