package fixed_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic: fixed-point arithmetic uses integers only (Float64 is for display).
func TestDeterministic(t *testing.T) {
	apptest.Guard{
		Allowed:     []string{"math/bits", "strconv"},
		AllowFloats: true,
	}.Check(t, ".")
}
