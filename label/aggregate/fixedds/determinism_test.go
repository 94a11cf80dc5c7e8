package fixedds_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic: settlement's Dawid–Skene is integer-only, with no maps.
func TestDeterministic(t *testing.T) {
	apptest.Guard{Allowed: []string{"errors", "fmt", "math/bits"}, NoMaps: true}.Check(t, ".")
}
