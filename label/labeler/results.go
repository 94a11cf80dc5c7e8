package labeler

import (
	"encoding/csv"
	"fmt"
	"io"
)

// WriteResults writes a settled job's labels as a CSV of item,label: the
// item ids from the job's manifest and the class names, one row per
// labeled item in manifest order (items left unlabeled, -1, are skipped).
func WriteResults(w io.Writer, man Manifest, classes []string, labels []int32) error {
	if len(man.Items) != len(labels) {
		return fmt.Errorf("manifest lists %d items, results %d", len(man.Items), len(labels))
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"item", "label"})
	for i, l := range labels {
		if l < 0 {
			continue
		}
		if int(l) >= len(classes) {
			return fmt.Errorf("item %s has label %d of %d classes", man.Items[i].ID, l, len(classes))
		}
		_ = cw.Write([]string{man.Items[i].ID, classes[l]})
	}
	cw.Flush()
	return cw.Error()
}
