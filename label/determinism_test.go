package label_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic: the module's state transitions (net/url only for the query signature), with no maps.
func TestDeterministic(t *testing.T) {
	apptest.Guard{
		Allowed: []string{
			"bytes", "crypto/sha256", "encoding/binary", "encoding/hex", "encoding/json", "errors", "fmt",
			"math/bits", "net/url", "sort", "strconv", "strings",
			"emergence/app", "emergence/store", "emergence/tx", "emergence/label/aggregate/fixedds",
		},
		NoMaps: true,
	}.Check(t, ".")
}
