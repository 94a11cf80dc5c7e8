package merkle_test

import (
	"errors"
	"fmt"
	"testing"

	"emergence/device/merkle"
)

func TestProveVerify(t *testing.T) {
	for n := 1; n <= 9; n++ {
		var leaves [][32]byte
		for i := 0; i < n; i++ {
			leaves = append(leaves, merkle.Leaf([]byte(fmt.Sprint(i))))
		}
		root := merkle.Root(leaves)
		for i := range leaves {
			if err := merkle.Verify(root, leaves[i], merkle.Prove(leaves, i)); err != nil {
				t.Fatalf("n=%d leaf %d: %v", n, i, err)
			}
			if err := merkle.Verify(root, merkle.Leaf([]byte("x")), merkle.Prove(leaves, i)); !errors.Is(err, merkle.ErrBadProof) {
				t.Fatalf("n=%d: foreign leaf: %v", n, err)
			}
		}
	}
	if merkle.Root(nil) != ([32]byte{}) {
		t.Fatal("empty root not zero")
	}
}
