package kernel_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"emergence/compute/kernel"
)

// TestPinned pins the kernel's bytes: the chain checks answers with them,
// so they change only with a new benchmark version.
func TestPinned(t *testing.T) {
	var seed [32]byte
	seed[0] = 7
	got := hex.EncodeToString(kernel.Lane(seed, 3, 2, 1000))
	const want = "6a725608a894d9da1f0a723cc31dddcd4809179d04801cd4e5b06deb49a3de5f"
	if got != want {
		t.Fatalf("Lane = %s, want %s", got, want)
	}
}

func TestCheckSegment(t *testing.T) {
	seed := [32]byte{1, 2, 3}
	ans := kernel.Answer(seed, 2, 4, 500)
	for lane := range ans {
		for seg := uint32(0); seg < 4; seg++ {
			if err := kernel.CheckSegment(seed, uint32(lane), ans[lane], seg, 500); err != nil {
				t.Fatalf("lane %d seg %d: %v", lane, seg, err)
			}
		}
	}
	// A lane run one step short, or from another lane's start, fails.
	short := kernel.Lane(seed, 0, 4, 499)
	if err := kernel.CheckSegment(seed, 0, short, 0, 500); !errors.Is(err, kernel.ErrMismatch) {
		t.Fatalf("short lane: %v", err)
	}
	if err := kernel.CheckSegment(seed, 1, ans[0], 0, 500); !errors.Is(err, kernel.ErrMismatch) {
		t.Fatalf("lane 0 answered for lane 1: %v", err)
	}
	if kernel.Step(kernel.State{}) == (kernel.State{}) {
		t.Fatal("zero state is a fixed point")
	}
}

func BenchmarkRun(b *testing.B) {
	s := kernel.Start([32]byte{}, 0)
	b.ReportAllocs()
	b.ResetTimer()
	s = kernel.Run(s, uint64(b.N))
	if s == (kernel.State{}) {
		b.Fatal("zero")
	}
}
