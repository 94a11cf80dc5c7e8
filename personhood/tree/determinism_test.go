package tree_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic keeps the tree and its hash, which run in consensus, deterministic.
func TestDeterministic(t *testing.T) {
	apptest.CheckDeterministic(t, ".")
	apptest.CheckDeterministic(t, "../poseidon")
}
