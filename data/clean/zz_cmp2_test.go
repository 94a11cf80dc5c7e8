package clean_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"emergence/data/clean"
)

func outcomeOf(text string) string {
	if text == "" {
		return "extract/no_readable_content"
	}
	o := clean.NewPipeline(clean.Options{Languages: []string{"en"}}).ProcessText(clean.Outcome{}, text)
	if o.Kept {
		return "kept"
	}
	return o.Reason.Filter + "/" + o.Reason.Rule
}

func TestZZCompare(t *testing.T) {
	if os.Getenv("CMP") == "" {
		return
	}
	files, _ := filepath.Glob("/tmp/data-oldtext/*.txt")
	same, diff := 0, 0
	trans := map[string]int{}
	var out []string
	for _, f := range files {
		o, _ := os.ReadFile(f)
		n, _ := os.ReadFile(strings.Replace(f, "oldtext", "newtext", 1))
		os1, ns := string(o), string(n)
		name := os1[:strings.IndexByte(os1+"\n", '\n')]
		ot := strings.TrimPrefix(os1, name+"\n")
		nt := strings.TrimPrefix(ns, name+"\n")
		if strings.TrimSpace(ot) == name {
			ot = ""
		}
		if strings.TrimSpace(nt) == name {
			nt = ""
		}
		a, b := outcomeOf(ot), outcomeOf(nt)
		if a == b {
			same++
		} else {
			diff++
			trans[a+" -> "+b]++
			out = append(out, fmt.Sprintf("%s\t%s -> %s", f, a, b))
		}
	}
	os.WriteFile("/tmp/data-cmp.txt", []byte(strings.Join(out, "\n")), 0o644)
	var ks []string
	for k := range trans {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return trans[ks[i]] > trans[ks[j]] })
	for _, k := range ks {
		if trans[k] >= 3 {
			t.Logf("%4d %s", trans[k], k)
		}
	}
	t.Logf("same %d diff %d", same, diff)
}
