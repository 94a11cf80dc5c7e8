package claimer

import (
	"context"
	"fmt"
	"time"

	"emergence/client"
	"emergence/personhood"
)

// NoGrantError is returned by CheckGrant for an epoch that pays no UBI
// grant (epoch 0 of a new chain: the pool fills from emission only after
// genesis). It says when the next epoch opens.
type NoGrantError struct {
	Epoch, Budget, Pool uint64
	// NextEpoch opens at NextHeight, Blocks after the node's height;
	// About is that wait at the recent block interval (0: unknown).
	NextEpoch  uint64
	NextHeight int64
	Blocks     int64
	About      time.Duration
}

func (e *NoGrantError) Error() string {
	return fmt.Sprintf("epoch %d pays no UBI grant (budget %d uemg, pool %d uemg): nothing to claim yet", e.Epoch, e.Budget, e.Pool)
}

// When says when the next epoch opens, for a hint.
func (e *NoGrantError) When() string {
	when := fmt.Sprintf("in %d blocks", e.Blocks)
	if e.About > 0 {
		when += fmt.Sprintf(", about %s", e.About.Round(time.Second))
	}
	return fmt.Sprintf("the next epoch, %d, opens at height %d (%s); its grant comes from what emission adds to the pool until then", e.NextEpoch, e.NextHeight, when)
}

// CheckGrant refuses, before a proof is made and a fee paid, a claim of
// epoch e when it pays no grant, with a *NoGrantError. pool is the node's
// "pool" query; an epoch other than the current one is looked up, and one
// the node has no record of is left for the chain to decide.
func CheckGrant(ctx context.Context, c *client.Client, pool personhood.PoolInfo, e uint64) error {
	ep := pool.Epoch
	if e != pool.CurrentEpoch {
		var rec personhood.Epoch
		if err := c.Query(ctx, personhood.Name, fmt.Sprintf("epoch/%d", e), nil, &rec); err != nil {
			return nil
		}
		ep = &rec
	}
	if ep != nil && ep.Grant > 0 {
		return nil
	}
	ng := &NoGrantError{Epoch: e, Pool: pool.Pool, NextEpoch: pool.CurrentEpoch + 1, NextHeight: pool.NextEpochHeight()}
	if ep != nil {
		ng.Budget = ep.Budget
	}
	ng.Blocks = ng.NextHeight - pool.Height
	if d, ok := c.BlockInterval(ctx, 10); ok {
		ng.About = time.Duration(ng.Blocks) * d
	}
	return ng
}
