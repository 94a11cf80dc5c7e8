package personhood_test

import (
	"testing"

	"emergence/personhood"
)

func TestNextEpochHeight(t *testing.T) {
	p := personhood.PoolInfo{CurrentEpoch: 3, EpochBlocks: 50, Height: 170}
	if got := p.NextEpochHeight(); got != 200 {
		t.Fatalf("NextEpochHeight = %d, want 200", got)
	}
}
