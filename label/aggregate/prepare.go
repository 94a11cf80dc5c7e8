package aggregate

import (
	"errors"
	"fmt"
)

// Prepared is a dataset ready for Run, with what building it dropped and
// the gold it carries.
type Prepared struct {
	Dataset *Dataset
	// Gold is the gold vector of the truth rows (nil without truth) and
	// GoldItems the number of items it pins.
	Gold      []int
	GoldItems int
	// Duplicates counts the repeated (worker, item) rows Dedup dropped.
	Duplicates int
}

// ErrGoldVector wraps the errors of mapping truth rows onto the dataset
// (a gold label that is no class, two gold labels for one item), so that a
// caller can blame the gold file rather than the labels.
var ErrGoldVector = errors.New("bad gold")

// Prepare builds the dataset of rows the way the label aggregate command
// runs it: repeated (worker, item) rows dropped first when dedup is set,
// the truth's labels added as classes (so gold may name a class no worker
// used), and the truth mapped onto the items as a gold vector. An error of
// the truth rows wraps ErrGoldVector; any other is the labels'.
func Prepare(rows []Row, truth []Truth, dedup bool) (*Prepared, error) {
	p := &Prepared{}
	if dedup {
		rows, p.Duplicates = Dedup(rows)
	}
	extra := make([]string, 0, len(truth))
	for _, t := range truth {
		extra = append(extra, t.Label)
	}
	d, err := NewDataset(rows, extra...)
	if err != nil {
		return nil, err
	}
	p.Dataset = d
	if truth != nil {
		gold, _, err := d.GoldVector(truth)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrGoldVector, err)
		}
		p.Gold, p.GoldItems = gold, GoldItems(gold)
	}
	return p, nil
}
