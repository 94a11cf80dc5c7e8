package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"emergence/api"
	"emergence/client"
	"emergence/node"
	"emergence/tx"
)

// defaultNode is the API address used when neither --node nor an
// initialised --home names one.
const defaultNode = "127.0.0.1:8545"

// nodeAddr returns the API address: --node, else the one in --home's
// settings, else the default.
func (g *globals) nodeAddr() string {
	if g.node != "" {
		return g.node
	}
	if s, err := node.LoadSettings(g.home); err == nil && s.APIAddr != "" {
		return s.APIAddr
	}
	return defaultNode
}

// client returns an API client for --node.
func (g *globals) client() *client.Client { return client.New(g.nodeAddr()) }

// nodeError turns a failure to talk to the node into an error with a
// hint: a request the node refused for its content is a usage error
// (exit status 2), one it failed to serve a runtime failure (1), and a node
// that cannot be reached has exit status 4.
func (g *globals) nodeError(err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) {
		if ae.Status >= 400 && ae.Status < 500 {
			return errorf("", "node refused the request: %w", err)
		}
		return failf("see the node's log", "node failed the request: %w", err)
	}
	return &cliError{status: exitUnreachable, hint: fmt.Sprintf("is a node running at %s? start one with 'emergence devnet' or pass --node", g.nodeAddr()),
		err: fmt.Errorf("cannot reach node: %w", err)}
}

// nodeFailure reports whether err is the node refusing or failing a
// request, or a failure to reach it.
func nodeFailure(err error) bool {
	var ae *client.APIError
	return errors.As(err, &ae) || client.Unreachable(err)
}

// workerBackoff is client.WorkerBackoff; tests shorten it.
var workerBackoff = client.WorkerBackoff

// reachNode is how every worker (labeler, miner, validator) starts: it
// waits for the node at --node with client.WorkerBackoff, saying so on
// stderr, and fails with exit status 4 and a hint if the node never
// answers.
func (g *globals) reachNode(ctx context.Context, role string) error {
	b := workerBackoff
	err := g.client().Reach(ctx, b, func(attempt int, err error, next time.Duration) {
		fmt.Fprintf(g.stderr, "%s: no node at %s (attempt %d of %d); retrying in %s\n", role, g.nodeAddr(), attempt, b.Attempts, next)
	})
	if err != nil {
		return g.nodeError(err)
	}
	return nil
}

// signer returns the key named by a --from flag.
func (g *globals) signer(name string) (ed25519.PrivateKey, tx.Address, error) {
	if name == "" {
		return nil, tx.Address{}, errorf("pass --from KEY (see 'emergence keys list')", "no signing key given")
	}
	return g.signerKey(name)
}

// txFlags are the flags every transaction command takes.
type txFlags struct {
	from  string
	gas   uint64
	fee   string
	nonce int64
}

func (f *txFlags) register(cmd *cobra.Command, withFrom bool) {
	if withFrom {
		cmd.Flags().StringVar(&f.from, "from", "", "key name or address that signs the transaction")
	}
	cmd.Flags().Var(gasValue{&f.gas}, "gas", `gas limit, or "auto": simulate the tx and use the gas it needs × 1.3`)
	cmd.Flags().StringVar(&f.fee, "fee", "", "fee (default: the minimum for the gas limit), e.g. 10000uemg")
	cmd.Flags().Int64Var(&f.nonce, "nonce", -1, "account nonce (default: read from the node)")
}

// gasValue is a --gas flag: a gas limit, or "auto" (stored as 0).
type gasValue struct{ p *uint64 }

func (v gasValue) String() string {
	if v.p == nil || *v.p == 0 {
		return "auto"
	}
	return strconv.FormatUint(*v.p, 10)
}

func (v gasValue) Set(s string) error {
	if s == "auto" {
		*v.p = 0
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return fmt.Errorf("gas must be a positive number or auto, got %q", s)
	}
	*v.p = n
	return nil
}

func (gasValue) Type() string { return "gas" }

func (f *txFlags) options() (client.TxOptions, error) {
	o := client.TxOptions{GasLimit: f.gas, GasAuto: f.gas == 0}
	if f.fee != "" {
		fee, err := parseAmount(f.fee)
		if err != nil {
			return o, err
		}
		o.Fee = fee
	}
	if f.nonce >= 0 {
		n := uint64(f.nonce)
		o.Nonce = &n
	}
	return o, nil
}

// broadcast signs msgs with key, submits them, waits for the commit and
// prints the result. A tx that fails on chain returns a txFailedError
// (exit status 3) after printing the result.
func (g *globals) broadcast(cmd *cobra.Command, key ed25519.PrivateKey, opts client.TxOptions, msgs ...tx.Msg) (*api.TxResult, error) {
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	c := g.client()
	raw, err := c.BuildTx(ctx, key, opts, msgs...)
	var wf *client.WouldFailError
	if errors.As(err, &wf) {
		return nil, errorf("nothing was sent or charged; pass --gas N to send it anyway and have the chain record the failure", "%w", err)
	}
	if err != nil {
		return nil, g.nodeError(err)
	}
	res, err := c.Broadcast(ctx, raw)
	if err != nil {
		return nil, g.nodeError(err)
	}
	if err := g.print(res, func(w io.Writer) { printTxResult(w, res) }); err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return res, &txFailedError{codespace: res.Codespace, code: res.Code, log: res.Log}
	}
	return res, nil
}

func printTxResult(w io.Writer, r *api.TxResult) {
	if r.Code != 0 {
		fmt.Fprintf(w, "tx %s failed: code %s/%d\n  %s\n", r.Hash, r.Codespace, r.Code, r.Log)
		if r.Height > 0 {
			fmt.Fprintf(w, "  height %d, gas %d/%d\n", r.Height, r.GasUsed, r.GasWanted)
		}
		return
	}
	fmt.Fprintf(w, "tx %s committed at height %d (gas %d/%d)\n", r.Hash, r.Height, r.GasUsed, r.GasWanted)
	for _, e := range r.Events {
		var kv []string
		for _, a := range e.Attrs {
			kv = append(kv, a.Key+"="+a.Value)
		}
		fmt.Fprintf(w, "  %s %s\n", e.Type, strings.Join(kv, " "))
	}
}

// query runs a module query against --node and decodes it into out.
func (g *globals) query(ctx context.Context, module, path string, params url.Values, out any) error {
	if err := g.client().Query(ctx, module, path, params, out); err != nil {
		if errors.Is(err, client.ErrNotFound) {
			var ae *client.APIError
			errors.As(err, &ae)
			return errorf("", "%s", ae.Msg)
		}
		return g.nodeError(err)
	}
	return nil
}

// msg encodes a message value.
func msg(kind string, v any) (tx.Msg, error) {
	m, err := tx.NewMsg(kind, v)
	if err != nil {
		return tx.Msg{}, fmt.Errorf("encode message: %w", err)
	}
	return m, nil
}

// send is the whole of a one-message transaction command: it signs a
// message of the given kind with the --from key and the tx flags,
// broadcasts it and prints the result.
func (g *globals) send(cmd *cobra.Command, f *txFlags, kind string, value any) (*api.TxResult, error) {
	key, _, err := g.signer(f.from)
	if err != nil {
		return nil, err
	}
	return g.sendAs(cmd, key, f, kind, value)
}

// sendAs is send for commands that resolved the signing key already.
func (g *globals) sendAs(cmd *cobra.Command, key ed25519.PrivateKey, f *txFlags, kind string, value any) (*api.TxResult, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	m, err := msg(kind, value)
	if err != nil {
		return nil, err
	}
	return g.broadcast(cmd, key, opts, m)
}
