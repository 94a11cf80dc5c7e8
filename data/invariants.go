package data

import (
	"fmt"

	"emergence/store"
)

// Invariants implements app.Module: the escrow holds exactly the crawlers'
// stakes and the jobs' unpaid, unrefunded budgets; every job's reservations
// are its open URLs' prices and its URL counts add up; the active set is
// exactly the crawlers marked active, each with the minimum stake.
func (m *Module) Invariants(r store.Reader) error {
	prm, err := m.params(r)
	if err != nil {
		return err
	}
	crawlers, err := store.ListJSON[Crawler](r, prefixCrawler, store.PrefixEnd(prefixCrawler), 0)
	if err != nil {
		return err
	}
	active, err := activeSet(r)
	if err != nil {
		return err
	}
	var held uint64
	nActive := 0
	for _, c := range crawlers {
		held += c.Stake
		if c.Active {
			nActive++
			if c.Stake < prm.CrawlerStake {
				return fmt.Errorf("data: active crawler %s holds %d, below %d", c.Address, c.Stake, prm.CrawlerStake)
			}
		}
	}
	if nActive != len(active) {
		return fmt.Errorf("data: %d crawlers marked active, active set has %d", nActive, len(active))
	}
	for i, a := range active {
		if i > 0 && compareAddr(active[i-1], a) >= 0 {
			return fmt.Errorf("data: active set not sorted and distinct at %d", i)
		}
		c, ok, err := loadCrawler(r, a)
		if err != nil {
			return err
		}
		if !ok || !c.Active {
			return fmt.Errorf("data: active set names %s, which is not an active crawler", a)
		}
	}
	jobs, err := store.ListJSON[Job](r, prefixJob, store.PrefixEnd(prefixJob), 0)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Paid+j.Refunded+j.Reserved > j.Budget || j.Paid+j.Refunded+j.Reserved < j.Paid {
			return fmt.Errorf("data: job %d paid %d, refunded %d and reserved %d of budget %d", j.ID, j.Paid, j.Refunded, j.Reserved, j.Budget)
		}
		if j.Reserved != j.Open*j.PricePerPage {
			return fmt.Errorf("data: job %d reserves %d for %d open urls at %d", j.ID, j.Reserved, j.Open, j.PricePerPage)
		}
		if j.Open+j.Accepted+j.Skipped+j.Disputed+j.Missed != j.URLs {
			return fmt.Errorf("data: job %d has %d urls but %d open, %d accepted, %d skipped, %d disputed, %d missed",
				j.ID, j.URLs, j.Open, j.Accepted, j.Skipped, j.Disputed, j.Missed)
		}
		if j.URLs > uint64(j.MaxPages) {
			return fmt.Errorf("data: job %d has %d urls, max_pages %d", j.ID, j.URLs, j.MaxPages)
		}
		if j.Closed && j.Available() != 0 {
			return fmt.Errorf("data: closed job %d still holds %d unreserved", j.ID, j.Available())
		}
		held += j.Held()
	}
	if got := m.bank.ModuleBalance(r, Escrow); got != held {
		return fmt.Errorf("data: escrow holds %d, stakes and budgets are %d", got, held)
	}
	return nil
}
