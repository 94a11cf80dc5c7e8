package zkml_test

import (
	"testing"

	"emergence/app/apptest"
)

// TestDeterministic: the module and its verifier (sync only guards the decoded-key cache; net/url
// only for the query signature).
func TestDeterministic(t *testing.T) {
	g := apptest.Guard{Allowed: []string{
		"bytes", "crypto/sha256", "encoding/binary", "encoding/hex", "encoding/json", "errors", "fmt",
		"math/big", "net/url", "strconv", "strings", "sync",
		"emergence/app", "emergence/store", "emergence/tx", "emergence/zkml/verifier",
	}}
	g.Check(t, ".")
	// The verifier also uses gnark's Groth16 verifier and BN254 arithmetic.
	g.Allowed = append(g.Allowed, "github.com/consensys/gnark/backend/groth16/bn254",
		"github.com/consensys/gnark-crypto/ecc/bn254", "github.com/consensys/gnark-crypto/ecc/bn254/fr",
		"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc")
	g.Check(t, "verifier")
}
