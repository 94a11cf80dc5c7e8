package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"emergence/api"
)

// Await calls cond now and again after every block the node commits (from
// its event stream, GET /v1/events), until cond returns true or an error,
// or ctx ends. It is how tests and tools wait on the chain: on events, with
// a deadline in ctx, never on a clock. A dropped stream is reopened.
func (c *Client) Await(ctx context.Context, cond func() (bool, error)) error {
	for {
		done, err := c.awaitStream(ctx, cond)
		if done || err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// awaitStream is one subscription of Await; it reports done when cond
// held (or failed), and false when the stream ended first.
func (c *Client) awaitStream(ctx context.Context, cond func() (bool, error)) (bool, error) {
	sub, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream's reader
	// Subscribe before checking, so no block falls between the check and
	// the stream.
	blocks, err := c.BlockCodes(sub)
	if err != nil {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		return true, fmt.Errorf("follow blocks: %w", err)
	}
	if ok, err := cond(); ok || err != nil {
		return true, err
	}
	for range blocks {
		if ok, err := cond(); ok || err != nil {
			return true, err
		}
	}
	return false, nil
}

// AwaitTx waits until the transaction with the given hash is committed and
// returns its result.
func (c *Client) AwaitTx(ctx context.Context, hash string) (*api.TxResult, error) {
	var res *api.TxResult
	err := c.Await(ctx, func() (bool, error) {
		r, err := c.Tx(ctx, hash)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		res = r
		return err == nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("await tx %s: %w", hash, err)
	}
	return res, nil
}

// WaitHeight waits until the chain reaches height h. A node that does not
// answer yet (still starting) is asked again every 100 ms; once it
// answers, the wait follows its blocks.
func (c *Client) WaitHeight(ctx context.Context, h int64) error {
	for {
		_, err := c.Status(ctx)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for height %d: %w", h, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	err := c.Await(ctx, func() (bool, error) {
		st, err := c.Status(ctx)
		return err == nil && st.Height >= h, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for height %d: %w", h, err)
	}
	return nil
}
