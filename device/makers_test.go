package device_test

import (
	"bytes"
	"sort"
	"testing"

	"emergence/app"
	"emergence/app/apptest"
	"emergence/device"
	"emergence/tx"
)

// TestMakersQuery: the makers list pages through every registered maker
// in address order, one page at a time with ?after=, and refuses a bad
// limit or cursor.
func TestMakersQuery(t *testing.T) {
	c := newChain(t)
	var empty device.MakerPage
	if err := c.Query("device/makers", nil, &empty); err != nil || len(empty.Makers) != 0 || empty.Next != "" {
		t.Fatalf("makers of an empty chain: %+v %v", empty, err)
	}
	names := []string{"maker", "alice", "bob", "mallory"}
	var addrs []tx.Address
	for _, n := range names {
		c.MustOK(c.Deliver(c.Sign(n, c.Msg(device.MsgRegisterMaker, device.RegisterMaker{Name: n + " inc", Stake: 1_000_000})))[0])
		addrs = append(addrs, apptest.Addr(n))
	}
	sort.Slice(addrs, func(i, j int) bool { return bytes.Compare(addrs[i][:], addrs[j][:]) < 0 })
	var want []string
	for _, a := range addrs {
		want = append(want, a.String())
	}
	var all device.MakerPage
	if err := c.Query("device/makers", nil, &all); err != nil || len(all.Makers) != len(names) || all.Next != "" {
		t.Fatalf("makers: %+v %v", all, err)
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		q := map[string][]string{"limit": {"1"}}
		if after != "" {
			q["after"] = []string{after}
		}
		var p device.MakerPage
		if err := c.Query("device/makers", q, &p); err != nil || len(p.Makers) > 1 {
			t.Fatalf("page %d: %+v %v", pages, p, err)
		}
		for _, m := range p.Makers {
			got = append(got, m.Address.String())
		}
		if p.Next == "" {
			break
		}
		after = p.Next
		if pages > len(names) {
			t.Fatal("pages never end")
		}
	}
	if len(got) != len(want) {
		t.Fatalf("paged makers %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] || all.Makers[i].Address.String() != want[i] {
			t.Fatalf("makers in order %v (one call: %+v), want %v", got, all.Makers, want)
		}
	}
	for _, q := range []map[string][]string{{"limit": {"0"}}, {"limit": {"101"}}, {"after": {"emg1nope"}}} {
		if err := c.Query("device/makers", q, &all); app.CodeOf(err) != app.CodeBadQuery {
			t.Errorf("makers %v: %v, want a bad query", q, err)
		}
	}
}
