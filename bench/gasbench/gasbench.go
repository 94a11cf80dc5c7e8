// Package gasbench measures what a unit of gas buys: it runs every message
// kind at its worst case through the real app (the whole chain as package
// chain composes it, driven block by block by apptest) and reports the
// CPU nanoseconds of FinalizeBlock and Commit per gas unit used. The target is
// at most 20 ns per gas unit for every kind, so that a block at the
// genesis gas limit (node.MaxBlockGas, 50M) executes in at most one second.
//
// Each module lists its cases in its own file here (bank.go, label.go,
// personhood.go, subnet.go, zkml.go, zkmlinfer.go, device.go, compute.go,
// data.go; links.go for the kinds that name another module's records) and
// adds one line to cases. Not yet covered: personhood/prove-human (its
// depth-30 proof is verified as a claim's, which personhood/claim measures).
package gasbench

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"emergence/app/apptest"
)

// TargetNsPerGas is the most a gas unit may cost.
const TargetNsPerGas = 20

// Case is one message kind at its worst case.
type Case struct {
	// Kind is the message kind measured, e.g. "label/settle".
	Kind string
	// Shape says what makes this the worst case, e.g. "64 classes".
	Shape string
	// Genesis of the chain the case runs on.
	Genesis apptest.Genesis
	// Prepare brings the chain to the state before the measured block and
	// returns that block's transactions, each of kind Kind. It reports
	// failures through c (which stops the case).
	Prepare func(c *apptest.Chain) [][]byte
}

// Cases returns every case, module by module in the chain's order.
func Cases() []Case { return cases(1) }

// cases returns every case with its sizes divided by div (tests run them
// small; the benchmark runs them at div 1, the worst case).
func cases(div int) []Case {
	return slices.Concat(bankCases(div), labelCases(div), personhoodCases(div), subnetCases(div), zkmlCases(div), zkmlInferCases(div), deviceCases(div), computeCases(div), dataCases(div), linkCases(div))
}

// Result is one case's measurement.
type Result struct {
	Kind  string `json:"kind"`
	Shape string `json:"shape"`
	// Txs in the measured block, the gas they used and the wall-clock and
	// process CPU time FinalizeBlock and Commit took.
	Txs     int           `json:"txs"`
	Gas     uint64        `json:"gas"`
	Elapsed time.Duration `json:"elapsed_ns"`
	CPU     time.Duration `json:"cpu_ns"`
	// NsPerGas is CPU time per gas unit: what the target is checked on,
	// since the wall clock of a shared machine measures the other load
	// (signature checks run on every core, so CPU time is the larger on an
	// idle machine). WallNsPerGas is the wall-clock figure.
	NsPerGas     float64 `json:"ns_per_gas"`
	WallNsPerGas float64 `json:"wall_ns_per_gas"`
	// OK is NsPerGas <= TargetNsPerGas.
	OK bool `json:"ok"`
}

// Run prepares a fresh chain for the case, delivers the measured block and
// checks that every transaction in it succeeded.
func Run(cs Case) (res Result, err error) {
	res = Result{Kind: cs.Kind, Shape: cs.Shape}
	r := &reporter{}
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(failure)
			if !ok {
				panic(p)
			}
			err = fmt.Errorf("%s (%s): %w", cs.Kind, cs.Shape, f)
		}
		if cerr := r.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	c := apptest.Full(r, cs.Genesis)
	txs := cs.Prepare(c)
	if len(txs) == 0 {
		return res, fmt.Errorf("%s (%s): no transactions to measure", cs.Kind, cs.Shape)
	}
	t0 := time.Now()
	wall := func() time.Duration { return time.Since(t0) }
	block, took := c.DeliverBlockMeasured(txs, wall, cpuTime)
	for i, t := range block.Txs {
		if t.Code != 0 {
			return res, fmt.Errorf("%s (%s): measured tx %d failed: %s/%d: %s", cs.Kind, cs.Shape, i, t.Codespace, t.Code, t.Log)
		}
		res.Gas += t.GasUsed
	}
	res.Txs, res.Elapsed, res.CPU = len(txs), took[0], took[1]
	res.NsPerGas = float64(res.CPU.Nanoseconds()) / float64(res.Gas)
	res.WallNsPerGas = float64(res.Elapsed.Nanoseconds()) / float64(res.Gas)
	res.OK = res.NsPerGas <= TargetNsPerGas
	return res, nil
}

// failure is what reporter.Fatalf panics with; Run recovers it.
type failure struct{ msg string }

func (f failure) Error() string { return f.msg }

// reporter is the apptest.TB of a case run outside tests.
type reporter struct {
	dirs     []string
	cleanups []func()
}

var _ apptest.TB = (*reporter)(nil)

func (r *reporter) Helper()                         {}
func (r *reporter) Logf(format string, args ...any) {}
func (r *reporter) Fatal(args ...any)               { panic(failure{fmt.Sprint(args...)}) }
func (r *reporter) Fatalf(format string, args ...any) {
	panic(failure{fmt.Sprintf(format, args...)})
}
func (r *reporter) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *reporter) TempDir() string {
	d, err := os.MkdirTemp("", "emergence-gasbench-")
	if err != nil {
		panic(failure{fmt.Sprintf("temp dir: %v", err)})
	}
	r.dirs = append(r.dirs, d)
	return d
}

// cleanup runs the registered cleanups (last first) and removes the temp
// dirs; a cleanup's failure (an invariant broken) is returned.
func (r *reporter) cleanup() (err error) {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		func() {
			defer func() {
				if p := recover(); p != nil {
					f, ok := p.(failure)
					if !ok {
						panic(p)
					}
					err = errors.Join(err, f)
				}
			}()
			r.cleanups[i]()
		}()
	}
	for _, d := range r.dirs {
		err = errors.Join(err, os.RemoveAll(d))
	}
	return err
}

// fail stops the running case with an error.
func fail(format string, args ...any) { panic(failure{fmt.Sprintf(format, args...)}) }
