package aggregate_test

import (
	"errors"
	"strings"
	"testing"

	"emergence/label/aggregate"
)

func TestReadCSVColumnsAndTSV(t *testing.T) {
	cases := []struct {
		name, in string
		f        aggregate.Format
	}{
		{"worker,item,label", "worker,item,label\nw1,i1,a\nw2,i1,b\n", aggregate.FormatCSV},
		{"question,worker,answer", "question,worker,answer\ni1,w1,a\ni1,w2,b\n", aggregate.FormatCSV},
		{"tsv", "item\tworker\tlabel\ni1\tw1\ta\ni1\tw2\tb\n", aggregate.FormatTSV},
		{"crlf and extra column", "worker,item,label,time\r\nw1,i1,a,3\r\nw2,i1,b,4\r\n", aggregate.FormatCSV},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := aggregate.DetectFormat("x.txt", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if f != c.f {
				t.Fatalf("DetectFormat = %s, want %s", f, c.f)
			}
			rows, err := aggregate.ReadLabels(strings.NewReader(c.in), f)
			if err != nil {
				t.Fatal(err)
			}
			want := []aggregate.Row{{Worker: "w1", Item: "i1", Label: "a", Line: 2}, {Worker: "w2", Item: "i1", Label: "b", Line: 3}}
			if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
				t.Fatalf("rows = %+v, want %+v", rows, want)
			}
			rows2, err := aggregate.ReadCSV(strings.NewReader(c.in))
			if err != nil || len(rows2) != 2 {
				t.Fatalf("ReadCSV: %v %v", rows2, err)
			}
		})
	}
}

func TestReadCSVMalformed(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "line 1: empty file"},
		{"bad header", "a,b,c\n1,2,3\n", "line 1: header"},
		{"short row", "worker,item,label\nw1,i1,a\nw2,i2\n", "line 3: 2 fields, want 3"},
		{"empty label", "worker,item,label\nw1,i1,a\nw2,i2,\n", "line 3: empty label"},
		{"empty worker", "worker,item,label\n,i1,a\n", "line 2: empty worker"},
		{"bad quote", "worker,item,label\nw1,i1,a\nw2,\"i2,b\n", "line 3"},
		{"header only", "worker,item,label\n", "no labels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := aggregate.ReadLabels(strings.NewReader(c.in), aggregate.FormatCSV)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestReadMACEAndKey(t *testing.T) {
	in := "1,,2\n,2,2\n"
	f, err := aggregate.DetectFormat("m.csv", []byte(in))
	if err != nil || f != aggregate.FormatMACE {
		t.Fatalf("DetectFormat = %v, %v", f, err)
	}
	rows, err := aggregate.ReadMACE(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []aggregate.Row{{"1", "1", "1", 1}, {"3", "1", "2", 1}, {"2", "2", "2", 2}, {"3", "2", "2", 2}}
	if len(rows) != len(want) {
		t.Fatalf("rows = %+v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Fatalf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	if _, err := aggregate.ReadMACE(strings.NewReader("1,2\n1\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("ragged matrix: err = %v", err)
	}
	truth, err := aggregate.ReadKey(strings.NewReader("2\n\n1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != 2 || truth[0] != (aggregate.Truth{Item: "1", Label: "2"}) || truth[1] != (aggregate.Truth{Item: "3", Label: "1"}) {
		t.Fatalf("truth = %+v", truth)
	}
}

func TestReadYAML(t *testing.T) {
	labels := "39: {11573: true, 11574: false,\n  11575: true}\n40: {11573: false}\n"
	rows, err := aggregate.ReadYAMLLabels(strings.NewReader(labels))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[2] != (aggregate.Row{Worker: "39", Item: "11575", Label: "true", Line: 2}) || rows[3].Worker != "40" {
		t.Fatalf("rows = %+v", rows)
	}
	truth, err := aggregate.ReadYAMLTruth(strings.NewReader("{1: true, 2: false,\n  3: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(truth) != 3 || truth[1] != (aggregate.Truth{Item: "2", Label: "false"}) {
		t.Fatalf("truth = %+v", truth)
	}
	for _, bad := range []string{"39: {1: true", "{1: true,, 2: false}", "39 {1: true}"} {
		if _, err := aggregate.ReadYAMLLabels(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("%q: err = %v, want a line error", bad, err)
		}
	}
}

func TestDetectFormatAmbiguous(t *testing.T) {
	_, err := aggregate.DetectFormat("x.csv", []byte("foo,bar,baz\n"))
	if !errors.Is(err, aggregate.ErrAmbiguousFormat) {
		t.Fatalf("err = %v, want ErrAmbiguousFormat", err)
	}
	if f, _ := aggregate.DetectFormat("gt.yaml", nil); f != aggregate.FormatYAML {
		t.Fatalf("yaml by extension: %s", f)
	}
	if f, _ := aggregate.DetectFormat("t.key", []byte("1\n2\n")); f != aggregate.FormatMACE {
		t.Fatalf("key by extension: %s", f)
	}
}

// TestSharedDatasetSizes checks every loader against the counts in the
// datasets' README.
func TestSharedDatasetSizes(t *testing.T) {
	want := map[string][3]int{ // labels, items, workers
		"bluebirds": {4212, 108, 39}, "bluebirds-yaml": {4212, 108, 39}, "rte": {8000, 800, 164},
		"temp": {4620, 462, 76}, "wsd": {1770, 177, 34}, "dog": {8070, 807, 109},
		"web": {15567, 2665, 177}, "face": {5242, 584, 27},
	}
	for _, s := range crowdSets {
		d, _ := loadCrowd(t, s)
		got := [3]int{len(d.Labels), len(d.Items), len(d.Workers)}
		if got != want[s.name] {
			t.Errorf("%s: labels/items/workers = %v, want %v", s.name, got, want[s.name])
		}
	}
}

func TestReadGAL(t *testing.T) {
	in := "w1\thttp://a\tG\nw2\thttp://a\tX\n"
	f, err := aggregate.DetectFormat("labels.txt", []byte(in))
	if err != nil || f != aggregate.FormatGAL {
		t.Fatalf("DetectFormat = %v, %v", f, err)
	}
	rows, err := aggregate.ReadLabels(strings.NewReader(in), f)
	if err != nil || len(rows) != 2 || rows[1] != (aggregate.Row{Worker: "w2", Item: "http://a", Label: "X", Line: 2}) {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	truth, err := aggregate.ReadTruthFormat(strings.NewReader("http://a\tG\n"), aggregate.FormatGAL)
	if err != nil || len(truth) != 1 || truth[0] != (aggregate.Truth{Item: "http://a", Label: "G"}) {
		t.Fatalf("truth %+v, %v", truth, err)
	}
	if _, err := aggregate.ReadGAL(strings.NewReader("w1\ta\tG\nw2\ta\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("short line: %v", err)
	}
}
