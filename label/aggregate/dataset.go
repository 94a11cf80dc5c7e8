// Package aggregate infers true labels from the noisy labels of many workers
// (truth inference): majority vote, Dawid–Skene with full confusion matrices,
// one-coin Dawid–Skene, GLAD and MACE, with gold items pinned to their known
// labels, per-worker quality estimates and per-item posteriors.
//
// This package uses float64 and is meant for offline use (the `emergence label
// aggregate` tool, simulations, tests). The chain runs the integer-only
// Dawid–Skene in the sub-package fixedds; a test holds the two within a stated
// tolerance.
//
// # Determinism and ties
//
// Classes are ordered numerically when every class name is an integer, and by
// byte order otherwise. Items and workers keep the order of their first
// appearance in the input. Every arg-max (predicted label, majority vote)
// breaks ties toward the lowest class index in that order, which is what
// crowd-kit does (pandas idxmax on sorted label columns). All methods are
// deterministic: MACE's restarts use a fixed-seed generator.
//
// # Worker quality
//
// Result.WorkerQuality is, for every method, the mean posterior probability of
// the labels the worker gave (an estimate of the worker's accuracy). Methods
// also return their own parameters: confusion matrices (DS, one-coin), GLAD's
// ability alpha, MACE's competence theta. Result.WorkerSkill is the accuracy
// above what a worker with the same answer distribution would reach by
// answering independently of the truth, scaled to 1 (Cohen's kappa against the
// inferred truth): 0 for spammers, 1 for perfect workers.
package aggregate

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Row is one label as read from a file: worker, item and label names.
type Row struct {
	Worker string
	Item   string
	Label  string
	// Line is the 1-based source line (0 when not from a file).
	Line int
}

// Truth is a known label for one item (gold or ground truth).
type Truth struct {
	Item  string
	Label string
}

// Label is one label with dense indices into a Dataset.
type Label struct {
	Worker int32
	Item   int32
	Class  int32
}

// Dataset is a set of labels with dense worker, item and class indices. It is
// immutable once built.
type Dataset struct {
	// Workers, Items and Classes map dense indices to names.
	Workers []string
	Items   []string
	Classes []string
	// Labels in input order.
	Labels []Label

	workerIdx map[string]int
	itemIdx   map[string]int
	classIdx  map[string]int

	// Labels grouped by item (CSR): the labels of item i are
	// byItem[itemStart[i]:itemStart[i+1]], in input order.
	itemStart []int32
	byItem    []Label
	// workerCount[w] is the number of labels worker w gave.
	workerCount []int
}

// ErrEmpty is returned when a dataset has no labels.
var ErrEmpty = errors.New("no labels")

// NewDataset builds a dataset from rows. extraClasses adds class names that
// may not occur in the rows (for example classes that only appear in gold).
// Repeated (worker, item) pairs are kept as separate labels, as crowd-kit does.
func NewDataset(rows []Row, extraClasses ...string) (*Dataset, error) {
	if len(rows) == 0 {
		return nil, ErrEmpty
	}
	d := &Dataset{
		workerIdx: map[string]int{},
		itemIdx:   map[string]int{},
		classIdx:  map[string]int{},
	}
	classSet := map[string]bool{}
	for _, c := range extraClasses {
		classSet[c] = true
	}
	for _, r := range rows {
		if r.Worker == "" || r.Item == "" || r.Label == "" {
			return nil, fmt.Errorf("line %d: empty worker, item or label", r.Line)
		}
		classSet[r.Label] = true
	}
	for c := range classSet {
		d.Classes = append(d.Classes, c)
	}
	SortClasses(d.Classes)
	for i, c := range d.Classes {
		d.classIdx[c] = i
	}
	d.Labels = make([]Label, len(rows))
	for n, r := range rows {
		w, ok := d.workerIdx[r.Worker]
		if !ok {
			w = len(d.Workers)
			d.workerIdx[r.Worker] = w
			d.Workers = append(d.Workers, r.Worker)
		}
		it, ok := d.itemIdx[r.Item]
		if !ok {
			it = len(d.Items)
			d.itemIdx[r.Item] = it
			d.Items = append(d.Items, r.Item)
		}
		d.Labels[n] = Label{Worker: int32(w), Item: int32(it), Class: int32(d.classIdx[r.Label])}
	}
	d.index()
	return d, nil
}

// Dedup drops repeated (worker, item) rows, keeping each pair's last label
// (a worker who corrected an answer), in the order of the kept rows. It
// returns the rows kept and how many were dropped. NewDataset keeps repeats
// as separate labels, as crowd-kit does; S_Rel and S_Adult have such rows.
func Dedup(rows []Row) ([]Row, int) {
	type key struct{ w, i string }
	last := make(map[key]int, len(rows))
	for n, r := range rows {
		last[key{r.Worker, r.Item}] = n
	}
	out := make([]Row, 0, len(last))
	for n, r := range rows {
		if last[key{r.Worker, r.Item}] == n {
			out = append(out, r)
		}
	}
	return out, len(rows) - len(out)
}

// FromIndices builds a dataset directly from dense indices, naming workers,
// items and classes by their index. It is meant for synthetic data and
// benchmarks.
func FromIndices(workers, items, classes int, labels []Label) (*Dataset, error) {
	if len(labels) == 0 {
		return nil, ErrEmpty
	}
	if workers <= 0 || items <= 0 || classes <= 0 {
		return nil, fmt.Errorf("need positive counts, got %d workers, %d items, %d classes", workers, items, classes)
	}
	for n, l := range labels {
		if l.Worker < 0 || int(l.Worker) >= workers || l.Item < 0 || int(l.Item) >= items || l.Class < 0 || int(l.Class) >= classes {
			return nil, fmt.Errorf("label %d: index out of range (%d,%d,%d)", n, l.Worker, l.Item, l.Class)
		}
	}
	d := &Dataset{
		workerIdx: map[string]int{},
		itemIdx:   map[string]int{},
		classIdx:  map[string]int{},
		Labels:    labels,
	}
	d.Workers = make([]string, workers)
	for i := range d.Workers {
		d.Workers[i] = strconv.Itoa(i)
		d.workerIdx[d.Workers[i]] = i
	}
	d.Items = make([]string, items)
	for i := range d.Items {
		d.Items[i] = strconv.Itoa(i)
		d.itemIdx[d.Items[i]] = i
	}
	d.Classes = make([]string, classes)
	for i := range d.Classes {
		d.Classes[i] = strconv.Itoa(i)
		d.classIdx[d.Classes[i]] = i
	}
	d.index()
	return d, nil
}

func (d *Dataset) index() {
	n := len(d.Items)
	d.itemStart = make([]int32, n+1)
	for _, l := range d.Labels {
		d.itemStart[l.Item+1]++
	}
	for i := 0; i < n; i++ {
		d.itemStart[i+1] += d.itemStart[i]
	}
	d.byItem = make([]Label, len(d.Labels))
	next := make([]int32, n)
	copy(next, d.itemStart[:n])
	for _, l := range d.Labels {
		d.byItem[next[l.Item]] = l
		next[l.Item]++
	}
	d.workerCount = make([]int, len(d.Workers))
	for _, l := range d.Labels {
		d.workerCount[l.Worker]++
	}
}

// ItemLabels returns the labels of item i, in input order. The slice must not
// be modified.
func (d *Dataset) ItemLabels(i int) []Label {
	return d.byItem[d.itemStart[i]:d.itemStart[i+1]]
}

// WorkerLabelCount returns the number of labels worker w gave.
func (d *Dataset) WorkerLabelCount(w int) int { return d.workerCount[w] }

// ItemIndex returns the index of the named item.
func (d *Dataset) ItemIndex(name string) (int, bool) {
	i, ok := d.itemIdx[name]
	return i, ok
}

// WorkerIndex returns the index of the named worker.
func (d *Dataset) WorkerIndex(name string) (int, bool) {
	i, ok := d.workerIdx[name]
	return i, ok
}

// ClassIndex returns the index of the named class.
func (d *Dataset) ClassIndex(name string) (int, bool) {
	i, ok := d.classIdx[name]
	return i, ok
}

// NoGold marks an item without a gold label in a gold vector.
const NoGold = -1

// GoldItems counts the items of a gold vector that have a gold label.
func GoldItems(gold []int) int {
	n := 0
	for _, x := range gold {
		if x != NoGold {
			n++
		}
	}
	return n
}

// GoldVector maps truth rows onto the dataset: the result has one entry per
// item, the gold class index or NoGold. Truth for items that have no labels is
// ignored (ignored counts them). A truth label that is not a class of the
// dataset is an error; build the dataset with the gold classes as extra
// classes to allow them.
func (d *Dataset) GoldVector(truth []Truth) (gold []int, ignored int, err error) {
	gold = make([]int, len(d.Items))
	for i := range gold {
		gold[i] = NoGold
	}
	for _, t := range truth {
		i, ok := d.itemIdx[t.Item]
		if !ok {
			ignored++
			continue
		}
		c, ok := d.classIdx[t.Label]
		if !ok {
			return nil, 0, fmt.Errorf("item %q: gold label %q is not a known class", t.Item, t.Label)
		}
		if gold[i] != NoGold && gold[i] != c {
			return nil, 0, fmt.Errorf("item %q: two different gold labels", t.Item)
		}
		gold[i] = c
	}
	return gold, ignored, nil
}

// SortClasses sorts class names in place: numerically when all are integers,
// else by byte order.
func SortClasses(cs []string) {
	allInt := true
	vals := make(map[string]int64, len(cs))
	for _, c := range cs {
		v, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			allInt = false
			break
		}
		vals[c] = v
	}
	if allInt {
		sort.Slice(cs, func(i, j int) bool {
			if vals[cs[i]] != vals[cs[j]] {
				return vals[cs[i]] < vals[cs[j]]
			}
			return cs[i] < cs[j]
		})
		return
	}
	sort.Strings(cs)
}

// Accuracy scores predicted class indices (one per item) against truth rows.
// Only truth items present in the dataset count (evaluable items).
func (d *Dataset) Accuracy(pred []int, truth []Truth) (correct, total int) {
	for _, t := range truth {
		i, ok := d.itemIdx[t.Item]
		if !ok {
			continue
		}
		total++
		if pred[i] >= 0 && d.Classes[pred[i]] == t.Label {
			correct++
		}
	}
	return correct, total
}
