// Package bad breaks every rule of the determinism analysis, once per
// function, so that TestCatches can prove each rule is enforced. It is
// never built into anything.
package bad

import (
	"crypto/ed25519"
	"maps"
	mrand "math/rand"
	"net"
	"os"
	"runtime"
	"strconv"
	clock "time"

	"emergence/determinism/testdata/bad/helper"
)

// ParseFloat returns a float from a call whose result is a float.
func ParseFloat(s string) int {
	f, _ := strconv.ParseFloat(s, 64)
	return int(f)
}

// Ratio declares a float type.
type Ratio struct{ R float32 }

// AliasedNow reads the wall clock through a renamed import.
func AliasedNow() int64 { return clock.Now().Unix() }

// Timer starts a timer.
func Timer() { clock.NewTimer(clock.Second).Stop() }

// RangeMap sums in map order.
func RangeMap(m map[string]int) (s []int) {
	for _, v := range m {
		s = append(s, v)
	}
	return s
}

// MapKeys iterates the keys in map order.
func MapKeys(m map[string]int) (s []string) {
	for k := range maps.Keys(m) {
		s = append(s, k)
	}
	return s
}

// Annotated ranges over a map where the order provably does not matter.
func Annotated(m map[string]int) (n int) {
	//determinism:ok addition is commutative
	for _, x := range m {
		n += x
	}
	return n
}

// Go starts a goroutine.
func Go() { go func() {}() }

// Procs depends on the machine.
func Procs() int { return runtime.NumCPU() }

// MathRand draws math/rand.
func MathRand() int { return mrand.Int() }

// Indirect draws crypto/rand through another package.
func Indirect() ([]byte, error) { return helper.Nonce() }

// Keygen draws crypto/rand inside crypto/ed25519.
func Keygen() (ed25519.PublicKey, error) {
	pub, _, err := ed25519.GenerateKey(nil)
	return pub, err
}

// ReadFile reads a file.
func ReadFile() ([]byte, error) { return os.ReadFile("x") }

// Dial opens a connection.
func Dial() (net.Conn, error) { return net.Dial("tcp", "localhost:1") }

// NoReason is annotated without a reason.
func NoReason() {
	//determinism:ok
	_ = 1
}

// Stale carries an annotation that covers nothing.
func Stale() int {
	//determinism:ok this used to range over a map
	return 1
}
