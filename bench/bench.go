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

// Sink returns the address account i of set sends its load transfers to.
func Sink(set string, i int) tx.Address { return Addr(set+"-sink", i) }

// GasPerTransfer is the gas limit of a load transfer: its use is 4,740 to
// 4,760 (10 gas per byte of a 324- to 326-byte tx plus bank/send's 1,500;
// the sinks exist, so no bank.GasNewAccount), and CometBFT fills a block
// by the txs' gas limits up to genesis' block gas limit
// (node.MaxBlockGas, 50M), so the limit decides how many transfers a
// block holds: 10,000 at 5,000; 5,813 at the 8,600 it was while bank/send
// was 5,000 gas. A limit below the use would show as failed txs in the
// report.
const GasPerTransfer = 5_000

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
			to := Sink(set, a)
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
	return run(ctx, txs, blocks, func(tr *tracker, errc chan<- error) {
		var wg sync.WaitGroup
		for _, acct := range txs {
			wg.Add(1)
			go func(acct [][]byte) {
				defer wg.Done()
				for _, raw := range acct {
					tr.stamp(raw)
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
		wg.Wait()
	})
}

// BatchSubmitter sends txs in one request and returns for each whether the
// node took it into its mempool: nil, ErrBusy (retry it and the same
// account's later txs of the batch), or why it was refused. An error of its
// own is for the whole batch and ends the run.
type BatchSubmitter func(raws [][]byte) ([]error, error)

// BatchWorkers is how many batches RunBatches keeps in flight at once.
const BatchWorkers = 8

// RunBatches is Run submitting up to size txs per call of submit: the
// accounts are dealt to BatchWorkers workers, and each worker fills a batch
// with its accounts' next txs, round robin, in nonce order per account.
func RunBatches(ctx context.Context, txs [][][]byte, size int, submit BatchSubmitter, blocks <-chan api.BlockResult) (Result, error) {
	if size < 1 {
		return Result{}, fmt.Errorf("batch size %d: want at least 1", size)
	}
	workers := min(BatchWorkers, len(txs))
	return run(ctx, txs, blocks, func(tr *tracker, errc chan<- error) {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			var mine [][][]byte
			for a := w; a < len(txs); a += workers {
				mine = append(mine, txs[a])
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := submitBatches(ctx, tr, mine, size, submit); err != nil {
					errc <- err
				}
			}()
		}
		wg.Wait()
	})
}

// submitBatches sends one worker's accounts' txs, size at a time.
func submitBatches(ctx context.Context, tr *tracker, accts [][][]byte, size int, submit BatchSubmitter) error {
	next := make([]int, len(accts))  // index of each account's next tx to send
	taken := make([]int, len(accts)) // of its txs in the batch being built
	var batch [][]byte
	var owner []int // account of each tx of the batch
	for ctx.Err() == nil {
		batch, owner = batch[:0], owner[:0]
		clear(taken)
		for more := true; more && len(batch) < size; {
			more = false
			for a := 0; a < len(accts) && len(batch) < size; a++ {
				if i := next[a] + taken[a]; i < len(accts[a]) {
					batch = append(batch, accts[a][i])
					owner = append(owner, a)
					taken[a]++
					more = true
				}
			}
		}
		if len(batch) == 0 {
			return nil
		}
		for _, raw := range batch {
			tr.stamp(raw)
		}
		errs, err := submit(batch)
		if err != nil {
			return err
		}
		if len(errs) != len(batch) {
			return fmt.Errorf("%d results for a batch of %d", len(errs), len(batch))
		}
		busy := false
		stopped := make([]bool, len(accts)) // an earlier tx of the account was not taken
		for j, e := range errs {
			a := owner[j]
			switch {
			case stopped[a]:
			case e == nil:
				next[a]++
			case errors.Is(e, ErrBusy):
				stopped[a], busy = true, true
			default:
				return e
			}
		}
		if busy {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// tracker holds the submission time of every tx not yet seen committed.
type tracker struct {
	mu   sync.Mutex
	sent map[[32]byte]time.Time
}

// stamp records raw's first submission time.
func (t *tracker) stamp(raw []byte) {
	h := tx.Hash(raw)
	t.mu.Lock()
	if _, ok := t.sent[h]; !ok {
		t.sent[h] = time.Now()
	}
	t.mu.Unlock()
}

// run starts send (which reports failures on errc and returns when it has
// sent everything) and collects commits from blocks until every tx of txs
// has committed.
func run(ctx context.Context, txs [][][]byte, blocks <-chan api.BlockResult, send func(*tracker, chan<- error)) (Result, error) {
	total := 0
	for _, a := range txs {
		total += len(a)
	}
	tr := &tracker{sent: make(map[[32]byte]time.Time, total)}
	var lat []time.Duration
	res := Result{Txs: total}
	start := time.Now()
	errc := make(chan error, len(txs)+BatchWorkers)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		send(tr, errc)
	}()
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
			tr.mu.Lock()
			for _, r := range b.Txs {
				raw, _ := hex.DecodeString(r.Hash)
				var h [32]byte
				copy(h[:], raw)
				t0, ok := tr.sent[h]
				if !ok {
					continue
				}
				delete(tr.sent, h)
				lat = append(lat, now.Sub(t0))
				n++
				if r.Code != 0 {
					res.Failed++
				}
			}
			tr.mu.Unlock()
			if n > 0 {
				res.Blocks++
				done += n
				last = now
			}
		}
	}
	<-sent
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
