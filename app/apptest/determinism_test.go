package apptest_test

import (
	"strings"
	"testing"

	"emergence/app/apptest"
)

// TestGuardCatches runs the guards over a file that breaks every rule.
func TestGuardCatches(t *testing.T) {
	for _, tc := range []struct {
		name  string
		guard apptest.Guard
		want  []string
	}{
		{"ban list", apptest.Guard{NoMaps: true}, []string{"math/rand", "goroutines", "time.Now", "float64", "float literal", "map"}},
		{"allow list", apptest.Guard{Allowed: []string{"time"}}, []string{"math/rand", "goroutines", "time.Now"}},
	} {
		got := apptest.GuardFindings(tc.guard, "testdata/nondeterministic")
		all := strings.Join(got, "\n")
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: no finding mentions %q; findings:\n%s", tc.name, w, all)
			}
		}
	}
}
