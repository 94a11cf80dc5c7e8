// Command sum is the WebAssembly job of the compute README and tests: it
// sums the integers of /in/0, mixes the sum argv[1] times (default 0, so
// a job's length is chosen by its argument) and writes /out/sum.txt.
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
		fmt.Fprintln(os.Stderr, "sum:", err)
		os.Exit(1)
	}
	var rounds uint64
	if len(os.Args) > 1 {
		if rounds, err = strconv.ParseUint(os.Args[1], 10, 64); err != nil {
			fmt.Fprintln(os.Stderr, "sum: rounds:", err)
			os.Exit(2)
		}
	}
	var sum uint64
	for _, f := range strings.Fields(string(data)) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sum: input:", err)
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
		fmt.Fprintln(os.Stderr, "sum:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}
