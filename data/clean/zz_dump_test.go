package clean_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"testing"

	"emergence/data/clean"
)

func TestZZDump(t *testing.T) {
	out := os.Getenv("DUMP")
	if out == "" {
		return
	}
	f, _ := os.Create(out)
	defer f.Close()
	p := clean.NewPipeline(clean.Options{Languages: []string{"en"}})
	for _, fn := range docPages(t, 0) {
		html, _ := os.ReadFile(fn)
		o := p.Process(html, fn)
		fmt.Fprintf(f, "%s\t%v\t%s\t%s\t%x\t%d\n", fn, o.Kept, o.Reason.Filter, o.Reason.Rule, sha256.Sum256([]byte(o.Text)), len(o.Text))
	}
}
