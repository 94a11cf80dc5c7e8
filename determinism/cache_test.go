package determinism_test

// The analysis reads the consensus packages through go list, which the test
// cache cannot see; importing them makes any change to one of them rebuild
// this test, so `go test` never reports a cached pass for changed code.
// TestImportsMatchConsensus keeps this list equal to determinism.Consensus.
import (
	_ "emergence/abciapp"
	_ "emergence/app"
	_ "emergence/bank"
	_ "emergence/chain"
	_ "emergence/compute"
	_ "emergence/compute/kernel"
	_ "emergence/data"
	_ "emergence/device"
	_ "emergence/device/devkey"
	_ "emergence/device/event"
	_ "emergence/device/merkle"
	_ "emergence/fixed"
	_ "emergence/label"
	_ "emergence/label/aggregate/fixedds"
	_ "emergence/personhood"
	_ "emergence/personhood/claim"
	_ "emergence/personhood/devkeys"
	_ "emergence/personhood/identity"
	_ "emergence/personhood/poseidon"
	_ "emergence/personhood/sealbox"
	_ "emergence/personhood/tree"
	_ "emergence/store"
	_ "emergence/store/pebblestore"
	_ "emergence/subnet"
	_ "emergence/subnet/yuma"
	_ "emergence/tx"
	_ "emergence/zkml"
	_ "emergence/zkml/statement"
	_ "emergence/zkml/verifier"
)
