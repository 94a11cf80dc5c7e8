// Command bigout writes argv[1] KiB to /out/big, ignoring errors, then exits 0.
package main

import (
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	f, err := os.Create("/out/big")
	if err != nil {
		os.Exit(3)
	}
	buf := make([]byte, 1024)
	for i := 0; i < n; i++ {
		f.Write(buf)
	}
	f.Close()
	// A sparse write far past the end must be charged too.
	g, err := os.Create("/out/sparse")
	if err == nil {
		g.WriteAt([]byte{1}, int64(n)<<10)
		g.Close()
	}
}
