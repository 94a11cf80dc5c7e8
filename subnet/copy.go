package subnet

import (
	"encoding/binary"

	"emergence/store"
	"emergence/subnet/yuma"
)

// Weight copying. Under commit–reveal a validator that copies others'
// revealed weights can only copy weights committed reveal_period_epochs (N)
// earlier: what it commits in epoch e is close to the consensus of epoch e
// (formed by the weights revealed in e), and takes effect in epoch e + N,
// when the honest validators' weights committed in e form the consensus. An
// honest validator's weights committed in e are its own evaluation in e and
// agree with the consensus of e + N. So each epoch, on a commit–reveal
// subnet, a permitted validator whose weights (committed in e) are at least
// twice as close to the consensus of epoch e as to the consensus of this
// epoch, and at least CopyMinDistance away from this epoch's, forfeits this
// epoch's dividends: its weights follow the consensus it could have copied,
// not the one its epoch formed. The forfeited emission carries over to the
// next epoch. While the miners' quality does not change the two consensus
// vectors agree and nobody is penalized: copying cannot be told from
// evaluating then, and it earns no more than evaluating.
//
// The chain keeps each epoch's consensus for N epochs (2 bytes per uid)
// and, for each validator, the commit epoch of its current weights.

// CopyMinDistance is the least L1 distance (of proportions summing to one,
// in units of 2^-32, so 2^32 is a distance of 1, the most is 2) between a
// validator's weights and this epoch's consensus for the copy check to
// penalize: a tenth, so that honest sampling noise alone never does.
const CopyMinDistance = 1 << 32 / 10

var (
	// prefixConsensus holds each epoch's consensus: net ‖ epoch → a u16
	// proportion per uid.
	prefixConsensus = []byte("subnet/cons/")
	// prefixWeightEpoch holds the commit epoch of a validator's revealed
	// weights: net ‖ uid → epoch.
	prefixWeightEpoch = []byte("subnet/we/")
)

func consensusKey(net uint16, e uint64) []byte {
	return store.Key(prefixConsensus, store.BE16(net), store.BE64(e))
}

func weightEpochKey(net, uid uint16) []byte {
	return store.Key(prefixWeightEpoch, store.BE16(net), store.BE16(uid))
}

func encodeU16s(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func decodeU16s(b []byte) []uint16 {
	v := make([]uint16, len(b)/2)
	for i := range v {
		v[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return v
}

// proportions scales v to proportions summing to about 2^32 (each
// floored); nil when v sums to zero.
func proportions(v []uint64) []uint64 {
	var sum uint64
	for _, x := range v {
		sum += x
	}
	if sum == 0 {
		return nil
	}
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = x << 32 / sum // x ≤ 65535 · 2^16 keeps x · 2^32 in range
	}
	return out
}

// l1 is the L1 distance of two proportion vectors of equal length.
func l1(a, b []uint64) uint64 {
	var d uint64
	for i := range a {
		d += absDiff(a[i], b[i])
	}
	return d
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// consensusProportions is a consensus vector as proportions, with their
// sum, for distances to sparse weight rows.
type consensusProportions struct {
	p   []uint64
	sum uint64
}

func newConsensusProportions(v []uint16) *consensusProportions {
	wide := make([]uint64, len(v))
	for i, x := range v {
		wide[i] = uint64(x)
	}
	p := proportions(wide)
	if p == nil {
		return nil
	}
	c := &consensusProportions{p: p}
	for _, x := range p {
		c.sum += x
	}
	return c
}

// distance is the L1 distance between the proportions of the sparse row
// w (uids below len(c.p), none repeated) and c: the row's own entries
// plus c's mass outside them, so its cost is the row's length.
func (c *consensusProportions) distance(w []yuma.Entry, wsum uint64) uint64 {
	d := c.sum
	for _, e := range w {
		pw := uint64(e.Value) << 32 / wsum
		pc := c.p[e.UID]
		d = d - pc + absDiff(pw, pc)
	}
	return d
}

// copiedWeights reports whether weights w (a sparse row over the uids of
// now and prev) follow prev, the consensus of the epoch they were
// committed in, rather than now, this epoch's consensus (see the comment
// at the top of this file), with the two distances.
func copiedWeights(w []yuma.Entry, now, prev *consensusProportions) (copied bool, dNow, dPrev uint64) {
	if now == nil || prev == nil || len(now.p) != len(prev.p) {
		return false, 0, 0
	}
	var wsum uint64
	for _, e := range w {
		if int(e.UID) >= len(now.p) {
			return false, 0, 0
		}
		wsum += uint64(e.Value)
	}
	if wsum == 0 {
		return false, 0, 0
	}
	dNow, dPrev = now.distance(w, wsum), prev.distance(w, wsum)
	return dNow >= CopyMinDistance && 2*dPrev < dNow, dNow, dPrev
}

// trimConsensus drops the stored consensus of epochs before keepFrom.
func trimConsensus(kv store.KV, net uint16, keepFrom uint64) {
	var old [][]byte
	kv.Iterate(consensusKey(net, 0), consensusKey(net, keepFrom), func(k, _ []byte) bool {
		old = append(old, append([]byte(nil), k...))
		return true
	})
	for _, k := range old {
		kv.Delete(k)
	}
}
