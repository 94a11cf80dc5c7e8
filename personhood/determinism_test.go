package personhood_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic keeps the module's state transitions free of I/O, clocks, randomness, floats
// and goroutines (sync only guards the decoded verifying-key cache).
func TestDeterministic(t *testing.T) {
	apptest.Guard{Permit: []string{"sync"}}.Check(t, ".")
}
