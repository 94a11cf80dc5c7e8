// Command matmul multiplies two seeded n×n matrices argv[2] times and
// writes a checksum to /out/sum; the kernel is package matmul's. With a
// third argument "time" it also prints each product's nanoseconds by the
// guest's clock, one a line: under the sandbox's fake clock that says
// nothing, but BenchmarkMatmulWasmKernel gives the guest the host's clock
// to time the kernel apart from start-up.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"emergence/compute/sandbox/testdata/matmul/kernel"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	reps, _ := strconv.Atoi(os.Args[2])
	timed := len(os.Args) > 3 && os.Args[3] == "time"
	var sum uint64
	for i := 0; i < reps; i++ {
		start := time.Now()
		sum += kernel.Run(n, uint64(i))
		if timed {
			fmt.Println(time.Since(start).Nanoseconds())
		}
	}
	os.WriteFile("/out/sum", []byte(fmt.Sprintf("%d\n", sum)), 0o644)
}
