package dataset_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"emergence/dataset"
)

func TestDir(t *testing.T) {
	t.Setenv(dataset.DirEnv, "")
	if got := dataset.Dir(""); got != "testdata" {
		t.Fatalf("Dir(\"\") = %q without the variable, want testdata", got)
	}
	t.Setenv(dataset.DirEnv, "/data")
	if got := dataset.Dir(""); got != "/data" {
		t.Fatalf("Dir(\"\") = %q, want the variable's /data", got)
	}
	if got := dataset.Dir("flag"); got != "flag" {
		t.Fatalf("Dir(flag) = %q, want the flag", got)
	}
}

func TestLoad(t *testing.T) {
	train, test, err := dataset.Load("digits", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len()+test.Len() != 1797 || test.Len() == 0 || train.Len() < 4*test.Len()-4 {
		t.Fatalf("digits split %d/%d, want 80/20 of 1797", train.Len(), test.Len())
	}

	dir := t.TempDir()
	var b strings.Builder
	for i := range 10 {
		b.WriteString(strings.Join([]string{string(rune('0' + i%4)), string(rune('0' + i%3)), string(rune('0' + i%2))}, ",") + "\n")
	}
	csv := filepath.Join(dir, "small.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	train, test, err = dataset.Load(csv, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len()+test.Len() != 10 || train.Features != 2 {
		t.Fatalf("csv split %d/%d with %d features, want 10 samples of 2", train.Len(), test.Len(), train.Features)
	}

	if _, _, err := dataset.Load("fashion-mnist", dir, 0); err == nil || !strings.HasPrefix(err.Error(), "load fashion-mnist: ") {
		t.Fatalf("fashion-mnist without its files: %v, want a load error", err)
	}
	if _, _, err := dataset.Load(filepath.Join(dir, "missing.csv"), "", 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing CSV: %v, want a not-exist error", err)
	}
}

func TestOpen(t *testing.T) {
	d, err := dataset.Open("digits")
	if err != nil || d.Len() != 1797 {
		t.Fatalf("Open(digits) = %v, %v; want the 1797 built-in digits", d, err)
	}
	csv := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(csv, []byte("1,2,0\n3,0,1\n0,7,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if d, err = dataset.Open(csv); err != nil || d.Len() != 3 || d.MaxValue != 7 {
		t.Fatalf("Open(csv) = %+v, %v; want 3 samples with values up to 7", d, err)
	}
	if _, err := dataset.Open(filepath.Join(t.TempDir(), "none.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open of a missing file: %v", err)
	}
}
