// Command trainer is the compute market's built-in training job, built for
// GOOS=wasip1 GOARCH=wasm and run by providers in the sandbox; see package
// emergence/compute/trainer.
package main

import (
	"os"

	"emergence/compute/trainer"
)

func main() { os.Exit(trainer.Main(os.Args[1:], os.Stdout, os.Stderr)) }
