//go:build !linux

package transfers

import "time"

// processCPUOf cannot read another process's CPU time here.
func processCPUOf(int) (time.Duration, bool) { return 0, false }

// loadAvg cannot read the load average here.
func loadAvg() float64 { return 0 }
