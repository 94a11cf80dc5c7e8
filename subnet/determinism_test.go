package subnet_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic: the module's state transitions (net/url only for the query signature).
func TestDeterministic(t *testing.T) {
	apptest.Guard{Allowed: []string{
		"bytes", "crypto/sha256", "encoding/binary", "encoding/hex", "encoding/json", "fmt", "net/url",
		"strconv", "strings", "emergence/app", "emergence/fixed", "emergence/store", "emergence/subnet/yuma", "emergence/tx",
	}}.Check(t, ".")
}
