package crawl

import (
	"context"
	"fmt"
	"net/url"
)

// Walk fetches seeds and follows their in-scope links breadth first to
// Scope.MaxDepth, fetching each URL once and at most maxPages URLs in all
// (maxPages <= 0: no cap). It calls visit with every Result in fetch order,
// skipped URLs included, and stops at the first error from visit or Fetch.
// Walk is sequential: politeness is per host, and a job's scope is usually a
// few hosts, so several crawler processes, not goroutines, make it fast.
func (f *Fetcher) Walk(ctx context.Context, seeds []string, maxPages int, visit func(depth int, r Result) error) error {
	type item struct {
		url   string
		depth int
	}
	seen := map[string]bool{}
	var queue []item
	for _, s := range seeds {
		if u, err := url.Parse(s); err == nil {
			u.Fragment = ""
			s = u.String()
		}
		if !seen[s] {
			seen[s] = true
			queue = append(queue, item{s, 0})
		}
	}
	fetched := 0
	for len(queue) > 0 && (maxPages <= 0 || fetched < maxPages) {
		it := queue[0]
		queue = queue[1:]
		res, err := f.Fetch(ctx, it.url)
		if err != nil {
			return fmt.Errorf("walk %s: %w", it.url, err)
		}
		fetched++
		if err := visit(it.depth, res); err != nil {
			return err
		}
		if it.depth >= f.cfg.Scope.MaxDepth {
			continue
		}
		for _, l := range res.Links {
			if !seen[l] {
				seen[l] = true
				queue = append(queue, item{l, it.depth + 1})
			}
		}
	}
	return nil
}
