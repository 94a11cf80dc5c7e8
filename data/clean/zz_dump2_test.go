package clean_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"emergence/data/clean"
)

func TestZZDumpText(t *testing.T) {
	dir := os.Getenv("DUMPTEXT")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	for i, fn := range docPages(t, 0) {
		html, _ := os.ReadFile(fn)
		d, _ := clean.Extract(html, fn)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%04d.txt", i)), []byte(fn+"\n"+d.Text), 0o644)
	}
}
