package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// Backoff is how a worker waits for a node it cannot reach: Attempts
// tries in all, the first retry after First, each later one after twice
// the previous wait, never more than Max.
type Backoff struct {
	Attempts   int
	First, Max time.Duration
}

// WorkerBackoff is the one policy of every worker (labeler, miner,
// validator): five tries over about 15 seconds, then give up.
var WorkerBackoff = Backoff{Attempts: 5, First: time.Second, Max: 8 * time.Second}

// Total returns the longest time the policy waits in all.
func (b Backoff) Total() time.Duration {
	var sum time.Duration
	d := b.First
	for i := 1; i < b.Attempts; i++ {
		sum += d
		d = min(2*d, b.Max)
	}
	return sum
}

// Unreachable reports whether err is a failure to connect to the node (as
// opposed to an answer from it).
func Unreachable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return false
	}
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &oe)
}

// Reach returns once the node answers a status request, retrying as b
// says while it cannot be reached; wait, when not nil, is told of each
// failed attempt and the wait before the next. It returns the last error
// when every attempt failed, and an error that is not a connection
// failure at once.
func (c *Client) Reach(ctx context.Context, b Backoff, wait func(attempt int, err error, next time.Duration)) error {
	d := b.First
	for attempt := 1; ; attempt++ {
		_, err := c.Status(ctx)
		if err == nil || !Unreachable(err) {
			return err
		}
		if attempt >= b.Attempts || ctx.Err() != nil {
			return fmt.Errorf("%d attempts over %s: %w", attempt, b.Total(), err)
		}
		if wait != nil {
			wait(attempt, err, d)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the node: %w", ctx.Err())
		case <-time.After(d):
		}
		d = min(2*d, b.Max)
	}
}
