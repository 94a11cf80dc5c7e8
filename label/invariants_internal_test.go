package label

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
)

// memKV is a sorted in-memory store for invariant tests.
type memKV struct{ m map[string][]byte }

func (s *memKV) Get(k []byte) []byte { return s.m[string(k)] }
func (s *memKV) Set(k, v []byte)     { s.m[string(k)] = bytes.Clone(v) }
func (s *memKV) Delete(k []byte)     { delete(s.m, string(k)) }
func (s *memKV) Iterate(start, end []byte, fn func(k, v []byte) bool) {
	var keys []string
	for k := range s.m {
		if k >= string(start) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !fn([]byte(k), s.m[k]) {
			return
		}
	}
}

// escrowOnly is a Bank whose escrow balance is fixed.
type escrowOnly struct{ bal uint64 }

func (e escrowOnly) Balance(store.Reader, tx.Address) uint64 { return 0 }
func (e escrowOnly) Lock(store.KV, tx.Address, string, uint64) error {
	return nil
}
func (e escrowOnly) Release(store.KV, string, tx.Address, uint64) error { return nil }
func (e escrowOnly) MoveModule(store.KV, string, string, uint64) error  { return nil }
func (e escrowOnly) ModuleBalance(store.Reader, string) uint64          { return e.bal }
func (e escrowOnly) RegisterAccount(*app.Context, string) error         { return nil }

func TestInvariantsDetect(t *testing.T) {
	kv := &memKV{m: map[string][]byte{}}
	var bob tx.Address
	bob[0] = 7
	putJob(kv, &Job{ID: 1, Budget: 100, Bond: 10, Status: StatusOpen})
	kv.Set(assignKey(1, bob), app.MustJSON(&Assignment{Job: 1, Labeler: bob, Items: []uint32{0}}))
	putLabeler(kv, &labelerRecord{Labeler: Labeler{Address: bob, Stake: 50, Open: 1}})
	if err := New(escrowOnly{160}).Invariants(kv); err != nil {
		t.Fatalf("consistent state: %v", err)
	}
	if err := New(escrowOnly{150}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "escrow holds 150") {
		t.Fatalf("escrow mismatch: %v", err)
	}
	putLabeler(kv, &labelerRecord{Labeler: Labeler{Address: bob, Stake: 50, Open: 2}})
	if err := New(escrowOnly{160}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "open = 2, 1 assignments") {
		t.Fatalf("open count mismatch: %v", err)
	}
	kv.Delete(labelerKey(bob))
	if err := New(escrowOnly{110}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "without a labeler record") {
		t.Fatalf("orphan assignment: %v", err)
	}
}
