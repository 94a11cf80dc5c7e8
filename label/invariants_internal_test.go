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
	ctx := &app.Context{KV: kv}
	putJob(ctx, &Job{ID: 1, Budget: 100, Bond: 10, Status: StatusOpen})
	kv.Set(assignKey(1, bob), app.MustJSON(&Assignment{Job: 1, Labeler: bob, Items: []uint32{0}, Risk: 20}))
	putLabeler(ctx, &labelerRecord{Labeler: Labeler{Address: bob, Stake: 50, Open: 1, Locked: 20}})
	if err := New(escrowOnly{160}).Invariants(kv); err != nil {
		t.Fatalf("consistent state: %v", err)
	}
	if err := New(escrowOnly{150}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "escrow holds 150") {
		t.Fatalf("escrow mismatch: %v", err)
	}
	putLabeler(ctx, &labelerRecord{Labeler: Labeler{Address: bob, Stake: 50, Open: 2, Locked: 20}})
	if err := New(escrowOnly{160}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "open = 2, 1 assignments") {
		t.Fatalf("open count mismatch: %v", err)
	}
	putLabeler(ctx, &labelerRecord{Labeler: Labeler{Address: bob, Stake: 50, Open: 1, Locked: 30}})
	if err := New(escrowOnly{160}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "locked = 30 uemg, its open assignments risk 20") {
		t.Fatalf("locked stake mismatch: %v", err)
	}
	kv.Set(assignKey(1, bob), app.MustJSON(&Assignment{Job: 1, Labeler: bob, Items: []uint32{0}, Risk: 60}))
	putLabeler(ctx, &labelerRecord{Labeler: Labeler{Address: bob, Stake: 50, Open: 1, Locked: 60}})
	if err := New(escrowOnly{160}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "60 uemg at risk, 50 uemg staked") {
		t.Fatalf("locked above stake: %v", err)
	}
	kv.Delete(labelerKey(bob))
	if err := New(escrowOnly{110}).Invariants(kv); err == nil || !strings.Contains(err.Error(), "without a labeler record") {
		t.Fatalf("orphan assignment: %v", err)
	}
}

// TestCorruptStateIsAnError: records that do not decode give errors, as in
// the other modules, never a panic (issue 10 item 5).
func TestCorruptStateIsAnError(t *testing.T) {
	kv := &memKV{m: map[string][]byte{}}
	m := New(escrowOnly{})
	var bob tx.Address
	bob[0] = 7
	kv.Set(store.Key(prefixJob, store.BE64(1)), []byte("{not json"))
	kv.Set(labelerKey(bob), []byte("[1,2"))
	kv.Set(keyParams, []byte("nope"))
	ctx := &app.Context{KV: kv, Signer: bob, Height: 5}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"request", func() error { return m.handleRequest(ctx, app.MustJSON(JobMsg{Job: 1})) }},
		{"settle", func() error { return m.handleSettle(ctx, app.MustJSON(JobMsg{Job: 1})) }},
		{"stake", func() error { return m.handleStake(ctx, app.MustJSON(StakeMsg{Amount: 1})) }},
		{"create-job", func() error { return m.handleCreateJob(ctx, app.MustJSON(CreateJobMsg{})) }},
		{"query job", func() error { _, err := m.Query(kv, "job/1", nil); return err }},
		{"query labeler", func() error { _, err := m.Query(kv, "labeler/"+bob.String(), nil); return err }},
		{"query jobs", func() error { _, err := m.Query(kv, "jobs", nil); return err }},
		{"invariants", func() error { return m.Invariants(kv) }},
	} {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), "corrupt") {
			t.Errorf("%s on corrupt state: %v, want a corrupt-state error", c.name, err)
		}
	}
}

// TestCommitmentsAreUnambiguous: moving bytes between committed fields
// changes the commitment (every field is length-prefixed), and an answer
// commitment never equals a gold commitment over the same bytes.
func TestCommitmentsAreUnambiguous(t *testing.T) {
	var salt [32]byte
	var who tx.Address
	a := AnswerCommitment(1, who, []uint32{1, 2}, []uint32{3}, salt)
	if b := AnswerCommitment(1, who, []uint32{1}, []uint32{2, 3}, salt); a == b {
		t.Error("items and answers can trade places")
	}
	if b := AnswerCommitment(1, who, []uint32{1, 2, 3}, nil, salt); a == b {
		t.Error("answers can move into items")
	}
	g := GoldCommitment("ab", []GoldItem{{1, 2}}, salt)
	if h := GoldCommitment("a", []GoldItem{{1, 2}}, salt); g == h {
		t.Error("manifest length is not bound")
	}
	if commitHash("x", []byte("ab"), []byte("c")) == commitHash("x", []byte("a"), []byte("bc")) {
		t.Error("field boundaries are not bound")
	}
	if commitHash("emergence/label/answers/v2", []byte("ab")) == commitHash("emergence/label/gold/v2", []byte("ab")) {
		t.Error("domains are not separated")
	}
}
