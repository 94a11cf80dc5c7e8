package verifier_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"

	"emergence/zkml/verifier"
)

// nonSubgroupG2 returns a point on the G2 curve outside the prime-order
// subgroup.
func nonSubgroupG2() curve.G2Affine {
	var x fp.Element
	x.SetUint64(7)
	for {
		var e curve.E2
		e.A0 = x
		if u := curve.MapToCurve2(&e); u.IsOnCurve() && !u.IsInSubGroup() {
			return u
		}
		x.SetUint64(x.Uint64() + 1)
	}
}

// TestDecodeVKSubgroup pins that decoding a verifying key rejects G2
// points outside the prime-order subgroup: DecodeVK relies on gnark's
// checked decoder for it.
func TestDecodeVKSubgroup(t *testing.T) {
	vkb, _, _ := fixture(t)
	for _, field := range []string{"beta", "gamma", "delta"} {
		vk, err := verifier.DecodeVK(vkb)
		if err != nil {
			t.Fatal(err)
		}
		bad := nonSubgroupG2()
		switch field {
		case "beta":
			vk.G2.Beta = bad
		case "gamma":
			vk.G2.Gamma = bad
		default:
			vk.G2.Delta = bad
		}
		var raw bytes.Buffer
		if _, err := vk.WriteRawTo(&raw); err != nil {
			t.Fatal(err)
		}
		if _, err := verifier.DecodeVK(raw.Bytes()); !errors.Is(err, verifier.ErrMalformedKey) || !strings.Contains(err.Error(), "subgroup") {
			t.Errorf("%s outside the subgroup: got %v, want ErrMalformedKey", field, err)
		}
	}
	// The untouched key in raw encoding still decodes.
	vk, _ := verifier.DecodeVK(vkb)
	var raw bytes.Buffer
	vk.WriteRawTo(&raw)
	if _, err := verifier.DecodeVK(raw.Bytes()); err != nil {
		t.Fatalf("raw encoding of the fixture key: %v", err)
	}
}
