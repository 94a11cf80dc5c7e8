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
