package yuma_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic: the epoch is pure integer arithmetic over its inputs.
func TestDeterministic(t *testing.T) {
	apptest.Guard{Allowed: []string{"errors", "fmt", "slices", "emergence/fixed"}}.Check(t, ".")
}
