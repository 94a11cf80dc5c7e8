package claim_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"

	"emergence/personhood/claim"
	"emergence/personhood/devkeys"
	"emergence/personhood/identity"
	"emergence/personhood/tree"
)

// processCPU returns the CPU time used so far by this process (all threads).
// The machine is shared, so benchmarks report CPU time per operation next to
// wall time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// depth30 loads the embedded depth-30 devnet keys (what 'emergence id
// claim' proves with) and builds a witness for a member of a depth-30 tree
// holding a few identities.
func depth30(b *testing.B) (*claim.Prover, *claim.Verifier, claim.Witness) {
	b.Helper()
	logger.Disable()
	p, err := claim.NewProver(devkeys.Depth, devkeys.ProvingKey)
	if err != nil {
		b.Fatal(err)
	}
	v, err := claim.DecodeVerifyingKey(devkeys.VerifyingKey)
	if err != nil {
		b.Fatal(err)
	}
	tr, _ := tree.New(tree.NewMemStore(), tree.DefaultDepth, 10)
	var me *identity.Identity
	for i := 0; i < 8; i++ {
		id, _ := identity.New()
		if _, _, err := tr.Insert(id.Commitment(), 1); err != nil {
			b.Fatal(err)
		}
		me = id
	}
	idx, _, _ := tr.IndexOf(me.Commitment())
	path, _ := tr.Proof(idx)
	root, _ := tr.Root()
	ext := identity.EpochExternalNullifier(1)
	sig, _ := identity.Signal(make([]byte, 20))
	return p, v, claim.Witness{IdentityNullifier: me.Nullifier, IdentityTrapdoor: me.Trapdoor, Path: path,
		Public: claim.PublicInputs{Root: root, NullifierHash: me.NullifierHash(ext), Signal: sig, ExternalNullifier: ext}}
}

// BenchmarkProveDepth30 measures one claim proof at depth 30 (witness
// solving + Groth16 prove + encoding) and reports the constraint count.
func BenchmarkProveDepth30(b *testing.B) {
	p, _, w := depth30(b)
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Prove(&w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/proof")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/proof")
	b.ReportMetric(float64(p.Constraints()), "constraints")
}

// BenchmarkVerifyDepth30 measures decoding and verifying one claim proof.
func BenchmarkVerifyDepth30(b *testing.B) {
	p, v, w := depth30(b)
	proof, err := p.Prove(&w)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		if err := v.Verify(proof, w.Public); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/verify")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/verify")
}
