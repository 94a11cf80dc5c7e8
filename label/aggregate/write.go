package aggregate

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// WriteLabels writes r's inferred labels as CSV item,label,confidence,
// one row per item of d in its order, confidence to 6 decimals.
func WriteLabels(w io.Writer, d *Dataset, r *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"item", "label", "confidence"})
	for i, name := range d.Items {
		_ = cw.Write([]string{name, d.Classes[r.Labels[i]], strconv.FormatFloat(r.Confidence(i), 'f', 6, 64)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	return nil
}

// WriteWorkers writes r's worker qualities as CSV worker,quality,labels,
// one row per worker of d in its order.
func WriteWorkers(w io.Writer, d *Dataset, r *Result) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"worker", "quality", "labels"})
	for i, name := range d.Workers {
		_ = cw.Write([]string{name, strconv.FormatFloat(r.WorkerQuality[i], 'f', 6, 64), strconv.Itoa(d.WorkerLabelCount(i))})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write workers: %w", err)
	}
	return nil
}
