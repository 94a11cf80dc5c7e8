// Command matmul multiplies two seeded n×n matrices argv[2] times and
// writes a checksum to /out/sum; the kernel is package matmul's.
package main

import (
	"fmt"
	"os"
	"strconv"

	"emergence/compute/sandbox/testdata/matmul/kernel"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	reps, _ := strconv.Atoi(os.Args[2])
	var sum uint64
	for i := 0; i < reps; i++ {
		sum += kernel.Run(n, uint64(i))
	}
	os.WriteFile("/out/sum", []byte(fmt.Sprintf("%d\n", sum)), 0o644)
}
