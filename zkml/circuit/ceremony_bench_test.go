package circuit_test

import (
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	gmpc "github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/logger"

	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

// BenchmarkCeremonyVsSetup times, on the same exam circuit, the one-party
// setup (compile, setup, write keys) against a whole two-contributor
// ceremony (init, two phase-1 contributions, closing phase 1, two phase-2
// contributions, closing phase 2 with the keys) and reports their ratio
// (target ≤ 3, issue 16.4). ZKML_CEREMONY_EXAM sets the exam size
// (default 40 samples of the digits fixture). Besides wall time it reports
// the process's CPU time (user + system) of each side, which other load on
// the machine changes far less: cpu-ratio is the ratio of those, and
// each step's CPU time is reported beside its wall time.
func BenchmarkCeremonyVsSetup(b *testing.B) {
	_, spec := ceremonyExam(b, 40)
	beacon1, beacon2 := []byte("benchmark beacon 1, public randomness"), []byte("benchmark beacon 2, public randomness")
	var setup, cer, setupCPU, cerCPU time.Duration
	steps := newStepTimes()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		start, startCPU := time.Now(), cpuTime()
		ccs, err := spec.Compile()
		if err != nil {
			b.Fatal(err)
		}
		pk, vk, err := circuit.SetupOneParty(ccs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := circuit.WriteKeys(filepath.Join(dir, "one"), spec, ccs.GetNbConstraints(), pk, vk, circuit.SetupOnePartyNote); err != nil {
			b.Fatal(err)
		}
		setup += time.Since(start)
		setupCPU += cpuTime() - startCPU
		if i == 0 {
			b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
		}

		start, startCPU = time.Now(), cpuTime()
		step := func(name string, f func() error) { steps.run(b, name, f) }
		cdir := filepath.Join(dir, "cer")
		step("init", func() error { _, err := circuit.CeremonyInit(cdir, spec); return err })
		contribute := func() error {
			c, err := circuit.OpenCeremony(cdir)
			if err != nil {
				return err
			}
			_, err = c.Contribute()
			return err
		}
		finalize := func(beacon []byte, keys string) func() error {
			return func() error {
				c, err := circuit.OpenCeremony(cdir)
				if err != nil {
					return err
				}
				_, err = c.Finalize(beacon, keys)
				return err
			}
		}
		step("p1-contribute", contribute)
		step("p1-contribute", contribute)
		step("p1-finalize", finalize(beacon1, ""))
		step("p2-contribute", contribute)
		step("p2-contribute", contribute)
		step("p2-finalize", finalize(beacon2, filepath.Join(dir, "keys")))
		cer += time.Since(start)
		cerCPU += cpuTime() - startCPU
	}
	b.ReportMetric(setup.Seconds()/float64(b.N), "setup-s")
	b.ReportMetric(cer.Seconds()/float64(b.N), "ceremony-s")
	b.ReportMetric(cer.Seconds()/setup.Seconds(), "ratio")
	b.ReportMetric(setupCPU.Seconds()/float64(b.N), "setup-cpu-s")
	b.ReportMetric(cerCPU.Seconds()/float64(b.N), "ceremony-cpu-s")
	b.ReportMetric(cerCPU.Seconds()/setupCPU.Seconds(), "cpu-ratio")
	steps.report(b)
}

// BenchmarkInitPhase2Exam compares gnark's phase-2 initialisation with
// the ceremony's on the exam circuit of BenchmarkCeremonyVsSetup.
func BenchmarkInitPhase2Exam(b *testing.B) {
	_, spec := ceremonyExam(b, 8)
	r1cs, err := spec.Compile()
	if err != nil {
		b.Fatal(err)
	}
	dom := ecc.NextPowerOfTwo(uint64(r1cs.GetNbConstraints()))
	p := gmpc.NewPhase1(dom)
	p.Contribute()
	commons, err := gmpc.VerifyPhase1(dom, []byte("benchmark beacon, sixteen bytes+"), p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("gnark", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			new(gmpc.Phase2).Initialize(r1cs, &commons)
		}
	})
	b.Run("ceremony", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			circuit.InitPhase2(r1cs, &commons, nil, nil)
		}
	})
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCeremonyPhase2VsSetup times, on the same exam circuit, the
// one-party setup against the circuit's own part of a two-contributor
// ceremony started from a closed phase 1 (init --phase1, two phase-2
// contributions, closing phase 2 with the keys): phase 1 and its Lagrange
// bases, made once per domain for every circuit, are made before the
// timer. The keys then prove and verify the model's score.
// ZKML_CEREMONY_EXAM sets the exam size (default 40 samples).
func BenchmarkCeremonyPhase2VsSetup(b *testing.B) {
	m, spec := ceremonyExam(b, 40)
	root := b.TempDir()
	src := filepath.Join(root, "phase1")
	open := func(dir string) *circuit.Ceremony {
		c, err := circuit.OpenCeremony(dir)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	// The shared phase 1: a phase-1-only ceremony of the circuit's domain,
	// sealed with its Lagrange bases.
	domain := examDomain(b, spec)
	if _, err := circuit.PowersInit(src, powerOf(domain)); err != nil {
		b.Fatal(err)
	}
	for range 2 {
		if _, err := open(src).Contribute(); err != nil {
			b.Fatal(err)
		}
	}
	if err := open(src).SealPowers([]byte("benchmark beacon 1, public randomness"), []uint64{domain}); err != nil {
		b.Fatal(err)
	}
	var setup, cer, setupCPU, cerCPU time.Duration
	var keys string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(root, strconv.Itoa(i))
		start, startCPU := time.Now(), cpuTime()
		ccs, err := spec.Compile()
		if err != nil {
			b.Fatal(err)
		}
		pk, vk, err := circuit.SetupOneParty(ccs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := circuit.WriteKeys(filepath.Join(dir, "one"), spec, ccs.GetNbConstraints(), pk, vk, circuit.SetupOnePartyNote); err != nil {
			b.Fatal(err)
		}
		setup += time.Since(start)
		setupCPU += cpuTime() - startCPU
		if i == 0 {
			b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
		}

		start, startCPU = time.Now(), cpuTime()
		cdir := filepath.Join(dir, "cer")
		if _, err := circuit.CeremonyInitFrom(cdir, spec, src, nil); err != nil {
			b.Fatal(err)
		}
		for range 2 {
			if _, err := open(cdir).Contribute(); err != nil {
				b.Fatal(err)
			}
		}
		keys = filepath.Join(dir, "keys")
		if _, err := open(cdir).Finalize([]byte("benchmark beacon 2, public randomness"), keys); err != nil {
			b.Fatal(err)
		}
		cer += time.Since(start)
		cerCPU += cpuTime() - startCPU
	}
	b.StopTimer()
	k, err := circuit.LoadKeys(keys)
	if err != nil {
		b.Fatal(err)
	}
	pf, err := circuit.NewProofFile(k, m, circuit.ProofRequest{Claim: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := pf.Verify(k, nil); err != nil {
		b.Fatalf("proof from the ceremony's keys rejected: %v", err)
	}
	b.ReportMetric(setup.Seconds()/float64(b.N), "setup-s")
	b.ReportMetric(cer.Seconds()/float64(b.N), "ceremony-s")
	b.ReportMetric(cer.Seconds()/setup.Seconds(), "ratio")
	b.ReportMetric(setupCPU.Seconds()/float64(b.N), "setup-cpu-s")
	b.ReportMetric(cerCPU.Seconds()/float64(b.N), "ceremony-cpu-s")
	b.ReportMetric(cerCPU.Seconds()/setupCPU.Seconds(), "cpu-ratio")
}

// examDomain is the FFT domain of spec's circuit.
func examDomain(b *testing.B, spec circuit.Spec) uint64 {
	ccs, err := spec.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints()))
}

// powerOf is K of a domain of 2^K.
func powerOf(n uint64) int {
	k := 0
	for uint64(1)<<k < n {
		k++
	}
	return k
}

// BenchmarkPowersCeremony times a phase-1-only ceremony (powers of tau
// for no circuit) with two contributors at the power the exam of
// ZKML_CEREMONY_EXAM samples (default 40) needs: init, two contributions,
// verify, and the seal with the Lagrange bases of that domain. It reports
// each step's wall and CPU time (user + system of the process) and the
// total CPU time; a circuit's phase 2 from it is
// BenchmarkCeremonyPhase2VsSetup.
func BenchmarkPowersCeremony(b *testing.B) {
	_, spec := ceremonyExam(b, 40)
	domain := examDomain(b, spec)
	var total, totalCPU time.Duration
	steps := newStepTimes()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "ptau")
		start, startCPU := time.Now(), cpuTime()
		step := func(name string, f func() error) { steps.run(b, name, f) }
		open := func() *circuit.Ceremony {
			c, err := circuit.OpenCeremony(dir)
			if err != nil {
				b.Fatal(err)
			}
			return c
		}
		step("init", func() error { _, err := circuit.PowersInit(dir, powerOf(domain)); return err })
		step("contribute", func() error { _, err := open().Contribute(); return err })
		step("contribute", func() error { _, err := open().Contribute(); return err })
		step("verify", func() error { _, err := open().Verify(); return err })
		step("seal", func() error {
			return open().SealPowers([]byte("benchmark beacon 1, public randomness"), []uint64{domain})
		})
		total += time.Since(start)
		totalCPU += cpuTime() - startCPU
	}
	b.StopTimer()
	b.ReportMetric(float64(powerOf(domain)), "power")
	b.ReportMetric(total.Seconds()/float64(b.N), "ceremony-s")
	b.ReportMetric(totalCPU.Seconds()/float64(b.N), "ceremony-cpu-s")
	steps.report(b)
}

// ceremonyExam is the exam circuit the ceremony benchmarks set up, with
// the model it is set up for: the digits fixture's model over the first
// ZKML_CEREMONY_EXAM samples (default n; a malformed setting fails the
// benchmark). It silences gnark's log.
func ceremonyExam(b *testing.B, n int) (*model.Model, circuit.Spec) {
	logger.Disable()
	m, ds := fixture(b)
	n = circuit.EnvInt(b, "ZKML_CEREMONY_EXAM", n)
	return m, circuit.Spec{Kind: circuit.KindExam, Shape: m.Shape(), Exam: smallExam(b, ds, n)}
}

// stepTimes sums the wall and CPU time (user + system of the process) of
// each named step of a benchmark over its iterations.
type stepTimes struct{ wall, cpu map[string]time.Duration }

func newStepTimes() *stepTimes {
	return &stepTimes{wall: map[string]time.Duration{}, cpu: map[string]time.Duration{}}
}

// run times f as one run of step name, failing the benchmark on its error.
func (s *stepTimes) run(b *testing.B, name string, f func() error) {
	b.Helper()
	t, tc := time.Now(), cpuTime()
	if err := f(); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	s.wall[name] += time.Since(t)
	s.cpu[name] += cpuTime() - tc
}

// report reports each step's wall and CPU seconds per iteration, as
// NAME-s and NAME-cpu-s.
func (s *stepTimes) report(b *testing.B) {
	for name, d := range s.wall {
		b.ReportMetric(d.Seconds()/float64(b.N), name+"-s")
		b.ReportMetric(s.cpu[name].Seconds()/float64(b.N), name+"-cpu-s")
	}
}
