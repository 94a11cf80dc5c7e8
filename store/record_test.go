package store

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

type mapKV struct{ m map[string][]byte }

func (s *mapKV) Get(k []byte) []byte                           { return s.m[string(k)] }
func (s *mapKV) Iterate(_, _ []byte, _ func(k, v []byte) bool) {}

func TestGetJSON(t *testing.T) {
	var errp error
	c := NewCache(&mapKV{m: map[string][]byte{"bad": []byte("{"), "good": []byte(`{"a":7}`)}}, &errp)
	var v struct{ A int }
	if ok, err := GetJSON(c, []byte("none"), &v); ok || err != nil {
		t.Fatalf("absent: ok %v err %v", ok, err)
	}
	if ok, err := GetJSON(c, []byte("good"), &v); !ok || err != nil || v.A != 7 {
		t.Fatalf("good: ok %v err %v v %+v", ok, err, v)
	}
	ok, err := GetJSON(c, []byte("bad"), &v)
	if ok || err == nil || !strings.Contains(err.Error(), `corrupt state at "bad"`) {
		t.Fatalf("corrupt: ok %v err %v", ok, err)
	}
	PutJSON(c, []byte("new"), map[string]int{"b": 1})
	if got := c.Get([]byte("new")); string(got) != `{"b":1}` {
		t.Fatalf("PutJSON stored %q", got)
	}
}

func TestU64(t *testing.T) {
	var errp error
	c := NewCache(&mapKV{m: map[string][]byte{"short": {1, 2, 3}}}, &errp)
	if GetU64(c, []byte("short")) != 0 || GetU64(c, []byte("none")) != 0 {
		t.Fatal("malformed or absent integers must read 0")
	}
	PutU64(c, []byte("x"), 0x0102030405060708)
	if got := c.Get([]byte("x")); !bytes.Equal(got, []byte{1, 2, 3, 4, 5, 6, 7, 8}) || GetU64(c, []byte("x")) != 0x0102030405060708 {
		t.Fatalf("PutU64 stored %x", got)
	}
	PutNonZeroU64(c, []byte("x"), 0)
	if c.Get([]byte("x")) != nil {
		t.Fatal("PutNonZeroU64(0) must delete")
	}
	PutNonZeroU64(c, []byte("x"), 9)
	if GetU64(c, []byte("x")) != 9 {
		t.Fatal("PutNonZeroU64(9) must store 9")
	}
}

func TestKey(t *testing.T) {
	p := make([]byte, 2, 16)
	copy(p, "p/")
	k := Key(p, BE16(0x0102), []byte("ab"), BE64(3))
	if want := []byte("p/\x01\x02ab\x00\x00\x00\x00\x00\x00\x00\x03"); !bytes.Equal(k, want) {
		t.Fatalf("Key = %q, want %q", k, want)
	}
	k2 := Key(p, []byte("z"))
	if string(k) == string(k2) || string(Key(p)) != "p/" {
		t.Fatal("Key aliases its prefix")
	}
	if j := Join([]byte("m/"), '/', []byte("a"), BE64(1), nil); string(j) != "m/a/\x00\x00\x00\x00\x00\x00\x00\x01/" {
		t.Fatalf("Join = %q", j)
	}
	if j := Join([]byte("m/"), '/'); string(j) != "m/" {
		t.Fatalf("Join of no parts = %q", j)
	}
}

func TestListJSON(t *testing.T) {
	var errp error
	c := NewCache(&mapKV{m: map[string][]byte{}}, &errp)
	for i, v := range []string{`{"a":1}`, `{"a":2}`, `{"a":3}`} {
		c.Set([]byte{'r', byte('0' + i)}, []byte(v))
	}
	type rec struct{ A int }
	got, err := ListJSON[rec](c, []byte("r"), PrefixEnd([]byte("r")), 2)
	if err != nil || len(got) != 2 || got[0].A != 1 || got[1].A != 2 {
		t.Fatalf("ListJSON limit 2: %+v %v", got, err)
	}
	if all, err := ListJSON[rec](c, []byte("r"), PrefixEnd([]byte("r")), 0); err != nil || len(all) != 3 {
		t.Fatalf("ListJSON no limit: %+v %v", all, err)
	}
	c.Set([]byte("r1"), []byte("{"))
	if _, err := ListJSON[rec](c, []byte("r"), PrefixEnd([]byte("r")), 0); err == nil || !strings.Contains(err.Error(), "corrupt state") {
		t.Fatalf("ListJSON over a corrupt record: %v", err)
	}
}

func TestListPage(t *testing.T) {
	var errp error
	c := NewCache(&mapKV{m: map[string][]byte{}}, &errp)
	type rec struct{ A int }
	end := PrefixEnd([]byte("r"))
	if got, more, err := ListPage[rec](c, []byte("r"), end, 2); err != nil || got == nil || len(got) != 0 || more {
		t.Fatalf("ListPage of nothing: %#v %v %v, want an empty non-nil page", got, more, err)
	}
	for i, v := range []string{`{"a":1}`, `{"a":2}`, `{"a":3}`} {
		c.Set([]byte{'r', byte('0' + i)}, []byte(v))
	}
	for _, tc := range []struct {
		start []byte
		limit int
		want  []int
		more  bool
	}{
		{[]byte("r"), 2, []int{1, 2}, true},
		{[]byte("r"), 3, []int{1, 2, 3}, false},
		{[]byte("r"), 4, []int{1, 2, 3}, false},
		{[]byte("r1\x00"), 1, []int{3}, false},
		{[]byte("r0\x00"), 1, []int{2}, true},
	} {
		got, more, err := ListPage[rec](c, tc.start, end, tc.limit)
		var as []int
		for _, g := range got {
			as = append(as, g.A)
		}
		if err != nil || !slices.Equal(as, tc.want) || more != tc.more {
			t.Errorf("ListPage(%q, %d) = %v more %v err %v, want %v more %v", tc.start, tc.limit, as, more, err, tc.want, tc.more)
		}
	}
	c.Set([]byte("r1"), []byte("{"))
	if got, _, err := ListPage[rec](c, []byte("r"), end, 5); err == nil || got != nil || !strings.Contains(err.Error(), "corrupt state") {
		t.Fatalf("ListPage over a corrupt record: %v %v", got, err)
	}
}
