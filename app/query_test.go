package app

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"emergence/store"
)

func TestRouter(t *testing.T) {
	got := func(name string) QueryFunc {
		return func(_ store.Reader, args []string, _ url.Values) (any, error) {
			return name + ":" + strings.Join(args, ","), nil
		}
	}
	rt := NewRouter("m",
		Route{"params", got("params")},
		Route{"job/{id}", got("job")},
		Route{"assignment/{id}/{addr}", got("assignment")},
		Route{"{x}/fixed", got("fixed")},
		Route{"human/{app...}/{addr}", got("human")},
	)
	for _, c := range [][2]string{
		{"params", "params:"},
		{"job/7", "job:7"},
		{"job/", "job:"},
		{"assignment/1/abc", "assignment:1,abc"},
		{"job/fixed", "job:fixed"}, // first route wins
		{"a/fixed", "fixed:a"},
		{"human/label/a1", "human:label,a1"},
		{"human/x/y/z/a1", "human:x/y/z,a1"},
		{"human//a1", "human:,a1"},
	} {
		path, want := c[0], c[1]
		v, err := rt.Query(nil, path, nil)
		if err != nil || v != want {
			t.Errorf("%q: %v, %v; want %q", path, v, err, want)
		}
	}
	for _, path := range []string{"", "param", "params/x", "job", "job/1/2", "assignment/1", "b/other", "human/a1", "human"} {
		_, err := rt.Query(nil, path, nil)
		if CodeOf(err) != CodeBadQuery || !strings.Contains(err.Error(), "want params, job/{id}") {
			t.Errorf("%q: %v, want CodeBadQuery listing the routes", path, err)
		}
	}
	if r := (route{segs: []string{"{a}", "{b}"}}); !slices.Equal(must(r.match([]string{"x", "y"})), []string{"x", "y"}) {
		t.Error("placeholders are returned in order")
	}
}

func must(args []string, ok bool) []string {
	if !ok {
		return nil
	}
	return args
}

func TestPageLimit(t *testing.T) {
	for _, c := range []struct {
		q    string
		want int
		bad  bool
	}{
		{"", 10, false},
		{"limit=1", 1, false},
		{"limit=25", 25, false},
		{"limit=26", 0, true},
		{"limit=0", 0, true},
		{"limit=-3", 0, true},
		{"limit=x", 0, true},
	} {
		q, _ := url.ParseQuery(c.q)
		n, err := PageLimit(q, 10, 25)
		if c.bad {
			if CodeOf(err) != CodeBadQuery || err.Error() == "" || !strings.Contains(err.Error(), "limit must be 1 to 25") {
				t.Errorf("PageLimit(%q) = %d, %v; want a bad-query error naming 1 to 25", c.q, n, err)
			}
			continue
		}
		if err != nil || n != c.want {
			t.Errorf("PageLimit(%q) = %d, %v; want %d", c.q, n, err, c.want)
		}
	}
}
