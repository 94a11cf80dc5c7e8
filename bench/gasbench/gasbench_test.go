package gasbench

import "testing"

// TestCasesRun runs every case once, a tenth of its size, and checks each
// is a real measurement (every measured transaction succeeded and used
// gas). Speed is what the benchmark command reports, not what this test
// checks; the full-size cases run in `emergence bench gas`.
func TestCasesRun(t *testing.T) {
	for _, cs := range cases(10) {
		t.Run(cs.Kind+"/"+cs.Shape, func(t *testing.T) {
			r, err := Run(cs)
			if err != nil {
				t.Fatal(err)
			}
			if r.Txs == 0 || r.Gas == 0 || r.Elapsed <= 0 {
				t.Fatalf("result %+v", r)
			}
			t.Logf("%s (%s): %d txs, %d gas, %v, %.2f ns/gas", r.Kind, r.Shape, r.Txs, r.Gas, r.Elapsed, r.NsPerGas)
		})
	}
}
