// Command det writes outputs from everything a guest could observe that
// might differ between hosts: random bytes, the clock, map order, its input.
package main

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"time"
)

func main() {
	in, err := os.ReadFile("/in/data")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var b [16]byte
	rand.Read(b[:])
	m := map[int]int{}
	for i := 0; i < 100; i++ {
		m[i] = i * i
	}
	var order []int
	for k := range m {
		order = append(order, k)
	}
	out := fmt.Sprintf("in=%q rand=%x mrand=%d now=%d order=%v args=%v\n", in, b, mrand.Uint64(), time.Now().UnixNano(), order[:10], os.Args[1:])
	os.WriteFile("/out/b.txt", []byte("second file\n"), 0o644)
	if err := os.WriteFile("/out/a.txt", []byte(out), 0o644); err != nil {
		os.Exit(2)
	}
	fmt.Print(out)
	os.Exit(7)
}
