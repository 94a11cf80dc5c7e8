package transfers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"

	"emergence/api"
	"emergence/app"
	"emergence/bench"
	"emergence/node"
	"emergence/tx"
)

// KVTxBytes is the size of a kvstore load tx ("key=value", unsigned).
const KVTxBytes = 90

// KVReady is the line the kvstore node process prints on stdout, followed
// by its JSON-RPC address, once it is up.
const KVReady = "kvstore-rpc "

// InitKVHome writes the home of the kvstore reference node: the same
// settings InitHome gives the bench devnet (block time, mempool size), a
// JSON-RPC address and a single-validator genesis with no app state.
func InitKVHome(home string, blockTime time.Duration) error {
	s := node.DefaultSettings("kvstore-bench")
	s.BlockTime = node.Duration(blockTime)
	s.MempoolSize = 100_000
	var err error
	if s.P2PAddr, err = node.FreePort(); err != nil {
		return err
	}
	if s.RPCAddr, err = node.FreePort(); err != nil {
		return err
	}
	pv, _, err := node.GenValidatorKeys(home)
	if err != nil {
		return fmt.Errorf("validator keys: %w", err)
	}
	if err := node.WriteGenesis(s.ChainID, []node.Validator{{Home: home, PV: pv, Power: 10}}, app.Genesis{}, home); err != nil {
		return err
	}
	return node.SaveSettings(home, s)
}

// KVTxs builds txs distinct kvstore txs of KVTxBytes bytes dealt to
// `accounts` senders, in the shape bench.Transfers returns.
func KVTxs(accounts, txs int) [][][]byte {
	out := make([][][]byte, accounts)
	per := (txs + accounts - 1) / accounts
	for a := 0; a < accounts; a++ {
		for n := 0; n < per && a*per+n < txs; n++ {
			t := []byte(fmt.Sprintf("bench-%05d-%07d=", a, n))
			t = append(t, bytes.Repeat([]byte{'v'}, KVTxBytes-len(t))...)
			out[a] = append(out[a], t)
		}
	}
	return out
}

// runKVStore starts the kvstore node as a separate OS process, submits
// cfg.Txs kvstore txs to its JSON-RPC as the HTTP path submits transfers
// (cfg.Batch broadcast_tx_sync calls per JSON-RPC batch request, from
// bench.BatchWorkers workers) and waits for every commit on its websocket
// NewBlock stream. It returns the result and the node process's
// CPU-seconds per 10k committed txs during the load (0 where they cannot
// be read).
func runKVStore(ctx context.Context, cfg Config, progress io.Writer) (bench.Result, float64, error) {
	var res bench.Result
	home, err := os.MkdirTemp("", "emergence-bench-kvstore-")
	if err != nil {
		return res, 0, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(home)
	}
	if err := InitKVHome(home, cfg.BlockTime); err != nil {
		return res, 0, fmt.Errorf("kvstore home: %w", err)
	}
	cmd := exec.CommandContext(ctx, cfg.LoadExe, "bench", "kvstore-node", "--home", home)
	cmd.Env = cfg.LoadEnv
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, 0, err
	}
	if err := cmd.Start(); err != nil {
		return res, 0, fmt.Errorf("kvstore node: %w", err)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		return cmd.Wait()
	}
	defer stop()
	addr, err := readReady(ctx, out)
	if err != nil {
		return res, 0, fmt.Errorf("kvstore node: %w", err)
	}
	fmt.Fprintf(progress, "bench: kvstore node (pid %d) in %s, JSON-RPC on %s\n", cmd.Process.Pid, home, addr)

	rpc, err := rpchttp.New("tcp://" + addr)
	if err != nil {
		return res, 0, err
	}
	if err := rpc.Start(); err != nil {
		return res, 0, fmt.Errorf("kvstore websocket: %w", err)
	}
	defer rpc.Stop()
	if err := waitKVHeight(ctx, rpc, 2); err != nil {
		return res, 0, err
	}
	// Commits are watched through the small NewBlockHeader events, each
	// followed by a /block read of that height: the NewBlock event carries
	// the block's results with the kvstore's events for every tx, which
	// CometBFT's websocket took seconds to encode for a block of 10k txs
	// (p50 5.4 s against 2.2 s from first submission to last commit in
	// the node's log), which would measure the observer, not the node.
	events, err := rpc.Subscribe(ctx, "bench", cmttypes.EventQueryNewBlockHeader.String(), 4096)
	if err != nil {
		return res, 0, fmt.Errorf("kvstore subscribe: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks := make(chan api.BlockResult, 4096)
	go func() {
		defer close(blocks)
		for {
			select {
			case <-sctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				hd, ok := ev.Data.(cmttypes.EventDataNewBlockHeader)
				if !ok {
					continue
				}
				h := hd.Header.Height
				rb, err := rpc.Block(sctx, &h)
				if err != nil {
					return // the run ends on its context or reports the missing commits
				}
				// The kvstore's FinalizeBlock gives every well-formed tx
				// code 0, and its CheckTx refused any other.
				b := api.BlockResult{Height: h, Txs: make([]api.TxResult, len(rb.Block.Txs))}
				for i, t := range rb.Block.Txs {
					b.Txs[i].Hash = tx.HashHex(t)
				}
				select {
				case blocks <- b:
				case <-sctx.Done():
					return
				}
			}
		}
	}()

	load := KVTxs(cfg.Accounts, cfg.Txs)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bench.BatchWorkers * 2}}
	url := "http://" + addr + "/"
	fmt.Fprintf(progress, "bench: submitting %d kvstore txs of %d bytes, %d broadcast_tx_sync per JSON-RPC batch\n", cfg.Txs, KVTxBytes, cfg.Batch)
	cpu0, cpuOK := processCPUOf(cmd.Process.Pid)
	res, err = bench.RunBatches(ctx, load, cfg.Batch, func(raws [][]byte) ([]error, error) {
		return kvBroadcast(ctx, hc, url, raws)
	}, blocks)
	if err != nil {
		return res, 0, fmt.Errorf("kvstore run: %w", err)
	}
	cpu1, cpuOK2 := processCPUOf(cmd.Process.Pid)
	per10k := 0.0
	if cpuOK && cpuOK2 && res.Committed > 0 {
		per10k = (cpu1 - cpu0).Seconds() * 10_000 / float64(res.Committed)
	}
	cancel()
	rpc.Stop()
	if err := stop(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return res, per10k, fmt.Errorf("kvstore node: %w", err)
		}
	}
	return res, per10k, nil
}

// readReady reads the kvstore node's stdout up to its ready line.
func readReady(ctx context.Context, out io.Reader) (string, error) {
	type line struct {
		addr string
		err  error
	}
	ch := make(chan line, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), KVReady); ok {
				ch <- line{addr: strings.TrimSpace(a)}
				io.Copy(io.Discard, out)
				return
			}
		}
		ch <- line{err: errors.New("exited before it was ready")}
	}()
	select {
	case l := <-ch:
		return l.addr, l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// waitKVHeight waits until the kvstore node has committed height h.
func waitKVHeight(ctx context.Context, rpc *rpchttp.HTTP, h int64) error {
	sub, err := rpc.Subscribe(ctx, "bench-start", cmttypes.EventQueryNewBlock.String(), 16)
	if err != nil {
		return fmt.Errorf("kvstore subscribe: %w", err)
	}
	defer rpc.UnsubscribeAll(context.Background(), "bench-start")
	if st, err := rpc.Status(ctx); err == nil && st.SyncInfo.LatestBlockHeight >= h {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kvstore node: waiting for height %d: %w", h, ctx.Err())
		case ev := <-sub:
			if nb, ok := ev.Data.(cmttypes.EventDataNewBlock); ok && nb.Block.Height >= h {
				return nil
			}
		}
	}
}

// kvBroadcast sends raws as one JSON-RPC batch of broadcast_tx_sync calls
// and maps each answer as bench.BatchSubmitter wants: nil when the mempool
// took the tx (or already holds it), bench.ErrBusy when it was full.
func kvBroadcast(ctx context.Context, hc *http.Client, url string, raws [][]byte) ([]error, error) {
	type call struct {
		JSONRPC string            `json:"jsonrpc"`
		ID      int               `json:"id"`
		Method  string            `json:"method"`
		Params  map[string]string `json:"params"`
	}
	calls := make([]call, len(raws))
	for i, raw := range raws {
		calls[i] = call{JSONRPC: "2.0", ID: i, Method: "broadcast_tx_sync", Params: map[string]string{"tx": base64.StdEncoding.EncodeToString(raw)}}
	}
	body, err := json.Marshal(calls)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kvstore broadcast: %w", err)
	}
	defer resp.Body.Close()
	var answers []struct {
		ID     int `json:"id"`
		Result *struct {
			Code uint32 `json:"code"`
			Log  string `json:"log"`
		} `json:"result"`
		Error *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("kvstore broadcast: %w", err)
	}
	if len(raws) == 1 && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		raw = append(append([]byte("["), raw...), ']') // a batch of one is answered alone
	}
	if err := json.Unmarshal(raw, &answers); err != nil {
		return nil, fmt.Errorf("kvstore broadcast: %s: %w (%.200s)", resp.Status, err, raw)
	}
	errs := make([]error, len(raws))
	seen := make([]bool, len(raws))
	for _, a := range answers {
		if a.ID < 0 || a.ID >= len(raws) || seen[a.ID] {
			return nil, fmt.Errorf("kvstore broadcast: answer with id %d to a batch of %d", a.ID, len(raws))
		}
		seen[a.ID] = true
		switch {
		case a.Error != nil && strings.Contains(a.Error.Data, "mempool is full"):
			errs[a.ID] = bench.ErrBusy
		case a.Error != nil && strings.Contains(a.Error.Data, "tx already exists in cache"):
		case a.Error != nil:
			errs[a.ID] = fmt.Errorf("kvstore refused a tx: %s %s", a.Error.Message, a.Error.Data)
		case a.Result == nil:
			errs[a.ID] = errors.New("kvstore broadcast: answer without result or error")
		case a.Result.Code != 0:
			errs[a.ID] = fmt.Errorf("kvstore refused a tx: code %d %s", a.Result.Code, a.Result.Log)
		}
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("kvstore broadcast: no answer for tx %d of %d", i, len(raws))
		}
	}
	return errs, nil
}
