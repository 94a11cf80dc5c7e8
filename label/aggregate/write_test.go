package aggregate_test

import (
	"bytes"
	"strings"
	"testing"

	"emergence/label/aggregate"
)

// TestWriteCSV checks the CSV files 'emergence label aggregate' writes,
// and that its labels read back as truth.
func TestWriteCSV(t *testing.T) {
	rows, err := aggregate.ReadCSV(strings.NewReader("worker,item,label\na,x,1\nb,x,1\nc,x,0\na,y,0\nb,y,0\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := aggregate.NewDataset(rows)
	if err != nil {
		t.Fatal(err)
	}
	r, err := aggregate.Run(d, aggregate.MethodMV, aggregate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var labels, workers bytes.Buffer
	if err := aggregate.WriteLabels(&labels, d, r); err != nil {
		t.Fatal(err)
	}
	if err := aggregate.WriteWorkers(&workers, d, r); err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSpace(labels.String()), "\n"); len(got) != 3 || got[0] != "item,label,confidence" {
		t.Fatalf("labels CSV:\n%s", labels.String())
	}
	truth, err := aggregate.ReadTruth(bytes.NewReader(labels.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"x": "1", "y": "0"}
	for _, tr := range truth {
		if want[tr.Item] != tr.Label {
			t.Errorf("item %s labelled %s, want %s", tr.Item, tr.Label, want[tr.Item])
		}
	}
	w := strings.Split(strings.TrimSpace(workers.String()), "\n")
	if len(w) != 4 || w[0] != "worker,quality,labels" || !strings.HasSuffix(w[1], ",2") {
		t.Fatalf("workers CSV:\n%s", workers.String())
	}
}
