// Command computejob is the compute tests' WebAssembly job: it sums the
// integers of /in/0, mixes the sum argv[1] times (so a job's length is
// chosen by its argument) and writes the result to /out/sum.txt.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	data, err := os.ReadFile("/in/0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "computejob:", err)
		os.Exit(1)
	}
	rounds, err := strconv.ParseUint(os.Args[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "computejob: rounds:", err)
		os.Exit(2)
	}
	var sum uint64
	for _, f := range strings.Fields(string(data)) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "computejob: input:", err)
			os.Exit(1)
		}
		sum += v
	}
	mix := sum
	for i := uint64(0); i < rounds; i++ {
		mix ^= mix << 13
		mix ^= mix >> 7
		mix ^= mix << 17
	}
	out := fmt.Sprintf("sum %d mix %d\n", sum, mix)
	if err := os.WriteFile("/out/sum.txt", []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "computejob:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}
