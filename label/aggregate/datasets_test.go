package aggregate_test

import (
	"os"
	"path/filepath"
	"testing"

	"emergence/label/aggregate"
)

// crowdDir is the repository copy of ../shared/datasets/crowd.
var crowdDir = filepath.Join("..", "..", "testdata", "crowd")

// crowdSet names one shared dataset: its label and truth files.
type crowdSet struct {
	name         string
	labels, gold string
	// published is the crowd.md §2.3 reference row: DS with 100 iterations
	// and the best figure of the row (any method).
	ds100, best float64
}

var crowdSets = []crowdSet{
	{"bluebirds", "bluebirds/label.csv", "bluebirds/truth.csv", 0.8981, 0.8981},
	{"bluebirds-yaml", "bluebirds/labels.yaml", "bluebirds/gt.yaml", 0.8981, 0.8981},
	{"rte", "rte/label.csv", "rte/truth.csv", 0.9275, 0.9275},
	{"temp", "temp/temporal.csv", "temp/temporal.key", 0.9416, 0.9416},
	{"wsd", "wsd/wsd.csv", "wsd/wsd.key", 0.9944, 0.9944},
	{"dog", "dog/answer.csv", "dog/truth.csv", 0.8426, 0.8426},
	{"web", "web/label.csv", "web/truth.csv", 0.8281, 0.8292},
	{"face", "face/answer.csv", "face/truth.csv", 0.6404, 0.6404},
}

func readFileFormat(tb testing.TB, path string) ([]byte, aggregate.Format) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := aggregate.DetectFormat(path, data)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return data, f
}

// loadCrowd reads one shared dataset and its truth.
func loadCrowd(tb testing.TB, s crowdSet) (*aggregate.Dataset, []aggregate.Truth) {
	tb.Helper()
	data, f := readFileFormat(tb, filepath.Join(crowdDir, s.labels))
	rows, err := aggregate.ReadLabels(bytesReader(data), f)
	if err != nil {
		tb.Fatalf("%s: %v", s.labels, err)
	}
	tdata, tf := readFileFormat(tb, filepath.Join(crowdDir, s.gold))
	truth, err := aggregate.ReadTruthFormat(bytesReader(tdata), tf)
	if err != nil {
		tb.Fatalf("%s: %v", s.gold, err)
	}
	d, err := aggregate.NewDataset(rows)
	if err != nil {
		tb.Fatal(err)
	}
	return d, truth
}
