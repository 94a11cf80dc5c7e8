package yuma_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"emergence/subnet/yuma"
)

// digest hashes every output of a Result in a fixed order.
func digest(r *yuma.Result) string {
	h := sha256.New()
	w := func(v uint64) { h.Write(binary.BigEndian.AppendUint64(nil, v)) }
	for i := range r.Stake {
		for _, x := range []int64{r.Stake[i].Raw(), r.ActiveStake[i].Raw(), r.Consensus[i].Raw(), r.Incentive[i].Raw(),
			r.Dividends[i].Raw(), r.ValidatorTrust[i].Raw(), r.Trust[i].Raw()} {
			w(uint64(x))
		}
		w(r.ServerEmission[i])
		w(r.ValidatorEmission[i])
		w(r.Emission[i])
		for _, e := range r.Bonds[i] {
			w(uint64(e.UID)<<16 | uint64(e.Value))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestGoldenDigest pins the exact bytes of three epochs (legacy, Yuma 3,
// Yuma 3 with liquid alpha) on a 256-uid subnet. The digests were produced
// on linux/amd64 and are checked on linux/386 too (GOARCH=386 go test): a
// change means consensus results changed, which needs a deliberate upgrade.
func TestGoldenDigest(t *testing.T) {
	want := map[string]string{
		"legacy":       "e2ad0bc09e138a7522a4995201c94034a7c26b66f23a20f8d060737cf32112da",
		"yuma3":        "2ce009c4cf6bb9931c77e9d83461fb1362e598478c85cfcfd7cb083ac35b5ec0",
		"yuma3-liquid": "b351f07f17514435f864c559a9e4901295a93566099343f46695ef9733ee6117",
	}
	for _, v := range []struct {
		name          string
		yuma3, liquid bool
	}{{"legacy", false, false}, {"yuma3", true, false}, {"yuma3-liquid", true, true}} {
		r, err := yuma.Run(benchInput(256, 64, v.yuma3, v.liquid))
		if err != nil {
			t.Fatal(err)
		}
		if got := digest(r); got != want[v.name] {
			t.Errorf("%s: digest %s, want %s", v.name, got, want[v.name])
		}
	}
}
