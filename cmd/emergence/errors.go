package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
)

// Exit statuses of the emergence command. The root command's help lists
// them (exitStatusHelp); scripts may rely on them.
const (
	exitOK          = 0 // success
	exitFailure     = 1 // the command failed while running: I/O, a proof or check that failed, an internal error
	exitUsage       = 2 // the input is at fault: unknown command or flag, missing or malformed argument, unusable input file
	exitTxFailed    = 3 // the transaction reached the chain and failed with a result code (printed)
	exitUnreachable = 4 // the node at --node could not be reached
)

// exitStatusHelp is the table of exit statuses shown in the root help.
const exitStatusHelp = `Exit status:
  0  success
  1  the command failed while running (I/O error, failed verification, internal error)
  2  bad usage or input (unknown command or flag, missing or malformed argument, unusable file)
  3  the transaction reached the chain and failed with a result code
  4  the node at --node could not be reached`

// cliError is an error with an exit status and an optional hint on what to
// do. It keeps its cause: errors.Is and errors.As see through it.
type cliError struct {
	status int
	hint   string
	err    error
}

func (e *cliError) Error() string { return e.err.Error() }

func (e *cliError) Unwrap() error { return e.err }

// errorf returns an error about the command's input (exit status 2) with a
// hint, which may be empty. Wrap the cause with %w: it stays reachable.
// When the cause is an I/O failure that is not about the path the user
// gave (permission denied, a device error, a full disk), the error is a
// runtime failure (exit status 1) without the hint, which would mislead.
func errorf(hint, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if ioFailure(err) {
		return &cliError{status: exitFailure, err: err}
	}
	return &cliError{status: exitUsage, hint: hint, err: err}
}

// failf returns a runtime failure (exit status 1) with a hint, which may
// be empty. Wrap the cause with %w.
func failf(hint, format string, args ...any) error {
	return &cliError{status: exitFailure, hint: hint, err: fmt.Errorf(format, args...)}
}

// usage marks err as a usage error (exit status 2) with a hint.
func usage(err error, hint string) error {
	return &cliError{status: exitUsage, hint: hint, err: err}
}

// withHint attaches a hint to err and keeps its exit status.
func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &cliError{status: exitCode(err), hint: hint, err: err}
}

// ioFailure reports whether err holds a file-system error other than a
// missing file or a file where a directory was expected (or the reverse):
// those are mistakes in the path given, the others are failures of the
// machine.
func ioFailure(err error) bool {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return false
	}
	return !errors.Is(pe.Err, fs.ErrNotExist) && !errors.Is(pe.Err, syscall.EISDIR) && !errors.Is(pe.Err, syscall.ENOTDIR)
}

// hintOf returns the hint of err: that of the outermost cliError that
// has one.
func hintOf(err error) string {
	for err != nil {
		var ce *cliError
		if !errors.As(err, &ce) {
			return ""
		}
		if ce.hint != "" {
			return ce.hint
		}
		err = ce.err
	}
	return ""
}

func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "emergence: error: %v\n", err)
	if h := hintOf(err); h != "" {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
}

// txFailedError reports a transaction that reached the chain but failed
// with a result code.
type txFailedError struct {
	codespace string
	code      uint32
	log       string
}

func (e *txFailedError) Error() string {
	return fmt.Sprintf("transaction failed: code %s/%d: %s", e.codespace, e.code, e.log)
}

// exitCode returns the exit status for err: that of its outermost
// cliError, 3 for a transaction that failed on chain, else 1.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var tf *txFailedError
	if errors.As(err, &tf) {
		return exitTxFailed
	}
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.status
	}
	return exitFailure
}
