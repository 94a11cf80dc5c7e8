package client

import (
	"context"
	"time"
)

// BlockInterval is the mean time between the node's latest block and the
// one n blocks before it (fewer on a shorter chain), from the blocks'
// times. It is false when the chain has fewer than two blocks, the node
// cannot be asked, or the times do not advance.
func (c *Client) BlockInterval(ctx context.Context, n int64) (time.Duration, bool) {
	last, err := c.Block(ctx, 0)
	if err != nil || last.Height < 2 || n < 1 {
		return 0, false
	}
	k := min(last.Height-1, n)
	first, err := c.Block(ctx, last.Height-k)
	if err != nil {
		return 0, false
	}
	d := last.Time.Sub(first.Time) / time.Duration(k)
	return d, d > 0
}
