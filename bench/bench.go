// Package bench measures an Emergence node: pre-signed transfer load
// submitted inside the node's process or over the HTTP API, commit latency
// percentiles, and raw signature verification speed.
package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"emergence/api"
	"emergence/bank"
	"emergence/tx"
)

// Key returns the deterministic key of load account i (seeded by name, so
// genesis and the load generator agree without a keyring).
func Key(set string, i int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("emergence/bench/%s/%d", set, i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Addr returns the address of Key(set, i).
func Addr(set string, i int) tx.Address {
	return tx.AddressFromPubKey(Key(set, i).Public().(ed25519.PublicKey))
}

// GasPerTransfer is the gas limit of a load transfer (its use is ~8,400).
const GasPerTransfer = 12_000

// Transfers pre-signs txs transfers from `accounts` accounts of a set, in
// per-account nonce order: out[a] holds account a's transactions.
func Transfers(chainID, set string, accounts, txs int, minFee func(uint64) uint64) [][][]byte {
	out := make([][][]byte, accounts)
	per := (txs + accounts - 1) / accounts
	var wg sync.WaitGroup
	for a := 0; a < accounts; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			key := Key(set, a)
			from := Addr(set, a)
			to := Addr(set+"-sink", a)
			for n := 0; n < per && a*per+n < txs; n++ {
				m, _ := tx.NewMsg("bank/send", bank.SendMsg{To: to, Amount: 1})
				raw, err := tx.Sign(tx.Body{ChainID: chainID, Signer: from, Nonce: uint64(n), Fee: minFee(GasPerTransfer), GasLimit: GasPerTransfer, Msgs: []tx.Msg{m}}, key)
				if err != nil {
					panic(err) // only plain structs are encoded
				}
				out[a] = append(out[a], raw)
			}
		}(a)
	}
	wg.Wait()
	return out
}

// Result is one load run's figures.
type Result struct {
	Txs       int     `json:"txs"`
	Committed int     `json:"committed"`
	Failed    int     `json:"failed"`
	Seconds   float64 `json:"seconds"`
	TPS       float64 `json:"tps"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	Blocks    int     `json:"blocks"`
}

// Submitter sends one tx and reports whether the node accepted it into its
// mempool. A retryable refusal (mempool full) returns ErrBusy.
type Submitter func(raw []byte) error

// ErrBusy asks the load generator to retry a tx after a pause.
var ErrBusy = errors.New("node busy")

// Run submits every account's txs in order (one goroutine per account),
// timestamps each submission, and waits until all have committed according
// to blocks (a stream of committed blocks). Latency is commit minus submit.
func Run(ctx context.Context, txs [][][]byte, submit Submitter, blocks <-chan api.BlockResult) (Result, error) {
	total := 0
	for _, a := range txs {
		total += len(a)
	}
	var mu sync.Mutex
	sent := make(map[[32]byte]time.Time, total)
	var lat []time.Duration
	res := Result{Txs: total}
	start := time.Now()
	errc := make(chan error, len(txs))
	var wg sync.WaitGroup
	for _, acct := range txs {
		wg.Add(1)
		go func(acct [][]byte) {
			defer wg.Done()
			for _, raw := range acct {
				h := tx.Hash(raw)
				mu.Lock()
				sent[h] = time.Now()
				mu.Unlock()
				for {
					err := submit(raw)
					if errors.Is(err, ErrBusy) {
						time.Sleep(5 * time.Millisecond)
						continue
					}
					if err != nil {
						errc <- err
						return
					}
					break
				}
				if ctx.Err() != nil {
					return
				}
			}
		}(acct)
	}
	done := 0
	var last time.Time
	for done < total {
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("after %d of %d committed: %w", done, total, ctx.Err())
		case err := <-errc:
			return res, err
		case b, ok := <-blocks:
			if !ok {
				return res, errors.New("block stream closed")
			}
			now := time.Now()
			n := 0
			mu.Lock()
			for _, r := range b.Txs {
				raw, _ := hex.DecodeString(r.Hash)
				var h [32]byte
				copy(h[:], raw)
				t0, ok := sent[h]
				if !ok {
					continue
				}
				delete(sent, h)
				lat = append(lat, now.Sub(t0))
				n++
				if r.Code != 0 {
					res.Failed++
				}
			}
			mu.Unlock()
			if n > 0 {
				res.Blocks++
				done += n
				last = now
			}
		}
	}
	wg.Wait()
	res.Committed = done - res.Failed
	res.Seconds = last.Sub(start).Seconds()
	if res.Seconds > 0 {
		res.TPS = float64(res.Committed) / res.Seconds
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	res.P50ms = ms(percentile(lat, 50))
	res.P99ms = ms(percentile(lat, 99))
	return res, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (len(d)*p + 99) / 100
	if i > 0 {
		i--
	}
	return d[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// VerifyPerSecond measures raw ed25519 verifications per second on the
// calling goroutine (one core) for about dur, with the verifier the node
// uses (tx.Tx.Verify's).
func VerifyPerSecond(dur time.Duration) float64 {
	key := Key("verify", 0)
	pub := key.Public().(ed25519.PublicKey)
	msgs := make([][]byte, 64)
	sigs := make([][]byte, 64)
	for i := range msgs {
		msgs[i] = binary.BigEndian.AppendUint64(make([]byte, 0, 300), uint64(i))
		msgs[i] = append(msgs[i], make([]byte, 280)...)
		sigs[i] = ed25519.Sign(key, msgs[i])
	}
	n := 0
	start := time.Now()
	for time.Since(start) < dur {
		for i := range msgs {
			if !tx.VerifySignature(pub, msgs[i], sigs[i]) {
				panic("bench: signature does not verify")
			}
		}
		n += len(msgs)
	}
	return float64(n) / time.Since(start).Seconds()
}
