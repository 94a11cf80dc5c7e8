package compute_test

import (
	"fmt"
	"testing"

	"emergence/compute"
)

// pageAll follows a list query's next cursor one record at a time and
// returns how many records it saw and how many pages it took.
func pageAll(t *testing.T, n *net, path string, count func(page any) (int, string), newPage func() any) (records, pages int) {
	t.Helper()
	after := ""
	for pages = 1; pages < 20; pages++ {
		q := map[string][]string{"limit": {"1"}}
		if after != "" {
			q["after"] = []string{after}
		}
		p := newPage()
		if err := n.Query(path, q, p); err != nil {
			t.Fatalf("%s after %q: %v", path, after, err)
		}
		got, next := count(p)
		if got > 1 {
			t.Fatalf("%s: %d records on a page of limit 1", path, got)
		}
		records += got
		if next == "" {
			return records, pages
		}
		after = next
	}
	t.Fatalf("%s: next cursor never ended", path)
	return 0, 0
}

// TestQueriesPage pages every list query one record at a time: each record
// comes once, and the cursor ends.
func TestQueriesPage(t *testing.T) {
	n := newNet(t, testParams(), "p1", "p2", "p3")
	n.ready(2, "p1", "p2", "p3")
	id := n.submitAndAssign(job(), map[string]uint64{"p1": 30, "p2": 20, "p3": 50}, "p1", "p2", "p3")
	for _, tc := range []struct {
		path    string
		want    int
		newPage func() any
		count   func(any) (int, string)
	}{
		{"compute/providers", 3, func() any { return &compute.ProviderPage{} },
			func(p any) (int, string) { pp := p.(*compute.ProviderPage); return len(pp.Providers), pp.Next }},
		{"compute/jobs", 1, func() any { return &compute.JobPage{} },
			func(p any) (int, string) { pp := p.(*compute.JobPage); return len(pp.Jobs), pp.Next }},
		{fmt.Sprintf("compute/job/%d/bids", id), 3, func() any { return &compute.BidPage{} },
			func(p any) (int, string) { pp := p.(*compute.BidPage); return len(pp.Bids), pp.Next }},
		{fmt.Sprintf("compute/job/%d/assignments", id), 2, func() any { return &compute.AssignmentPage{} },
			func(p any) (int, string) { pp := p.(*compute.AssignmentPage); return len(pp.Assignments), pp.Next }},
		{"compute/provider/" + n.provider("p1").Address.String() + "/assignments", 1, func() any { return &compute.IDPage{} },
			func(p any) (int, string) { pp := p.(*compute.IDPage); return len(pp.Jobs), pp.Next }},
	} {
		if got, _ := pageAll(t, n, tc.path, tc.count, tc.newPage); got != tc.want {
			t.Errorf("%s: %d records paged one by one, want %d", tc.path, got, tc.want)
		}
	}
	if err := n.Query("compute/providers", map[string][]string{"limit": {"0"}}, &compute.ProviderPage{}); err == nil {
		t.Error("limit=0 was accepted")
	}
}
