package clean_test

import (
	"os"
	"testing"

	"emergence/data/clean"
)

func TestZZDbg(t *testing.T) {
	f := os.Getenv("DBG")
	if f == "" {
		return
	}
	html, _ := os.ReadFile(f)
	d, err := clean.Extract(html, f)
	t.Logf("err=%v len=%d\n%.600s", err, len(d.Text), d.Text)
}
