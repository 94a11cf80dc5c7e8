// Package classify is the built-in "classify" subnet task and its two
// off-chain roles. A miner serves a classifier over HTTP at the axon address
// it publishes on chain; a validator samples held-out labelled items every
// epoch, queries every miner, scores chance-corrected accuracy (with a
// latency penalty) and sets its weights through commit–reveal.
//
// Protocol: POST {axon}/v1/classify with {"inputs": [[f1, f2, ...], ...]}
// (integer features) answers {"labels": [c1, c2, ...]}.
//
// This package is worker code: it does network I/O, reads the clock and
// uses randomness, and never runs inside a state transition.
package classify

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"emergence/api"
	"emergence/client"
	"emergence/subnet"
	"emergence/tx"
	"emergence/zkml/model"
)

// Request is the body of POST /v1/classify.
type Request struct {
	Inputs [][]int64 `json:"inputs"`
}

// Response is the answer to a Request.
type Response struct {
	Labels []int `json:"labels"`
}

// MaxBatch bounds the inputs of one request.
const MaxBatch = 1024

// Predictor is a classifier: the zkml quantized model implements it.
type Predictor interface {
	Predict(x []int64) (int, error)
}

var _ Predictor = (*model.Model)(nil)

// Miner serves a Predictor. Its noise (0 to 1) is the fraction of answers
// replaced by a uniformly random class, to simulate weaker or random
// miners; Classes is the number of classes for those random answers.
type Miner struct {
	Model   Predictor
	Classes int
	// Delay is added to every answer (to simulate slow miners).
	Delay time.Duration

	mu    sync.Mutex
	noise float64
	rng   *mrand.Rand
}

// SetNoise changes the fraction of random answers (safe while serving).
func (m *Miner) SetNoise(noise float64) {
	m.mu.Lock()
	m.noise = noise
	m.mu.Unlock()
}

// Noise returns the fraction of random answers.
func (m *Miner) Noise() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.noise
}

// NewMiner returns a miner answering with m, replacing a fraction noise of
// its answers by random classes out of classes.
func NewMiner(m Predictor, classes int, noise float64, seed uint64) *Miner {
	return &Miner{Model: m, noise: noise, Classes: classes, rng: mrand.New(mrand.NewPCG(seed, 0x5eed))}
}

// ServeHTTP implements http.Handler for POST /v1/classify.
func (m *Miner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/classify" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	var req Request
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<20))
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(req.Inputs) > MaxBatch {
		http.Error(w, fmt.Sprintf("at most %d inputs", MaxBatch), http.StatusBadRequest)
		return
	}
	if m.Delay > 0 {
		time.Sleep(m.Delay)
	}
	out := Response{Labels: make([]int, len(req.Inputs))}
	for i, x := range req.Inputs {
		c, err := m.Model.Predict(x)
		if err != nil {
			http.Error(w, fmt.Sprintf("input %d: %v", i, err), http.StatusBadRequest)
			return
		}
		m.mu.Lock()
		if m.noise > 0 && m.rng.Float64() < m.noise {
			c = m.rng.IntN(max(m.Classes, 1))
		}
		m.mu.Unlock()
		out.Labels[i] = c
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// Score is one miner's result in one validation round.
type Score struct {
	UID      uint16        `json:"uid"`
	Correct  int           `json:"correct"`
	Total    int           `json:"total"`
	Latency  time.Duration `json:"latency"`
	Weight   uint16        `json:"weight"`
	Err      string        `json:"error,omitempty"`
	Accuracy float64       `json:"accuracy"`
}

// Validator scores the miners of one subnet and sets weights by
// commit–reveal. Call Step repeatedly (Run does).
type Validator struct {
	Client *client.Client
	Key    ed25519.PrivateKey
	NetUID uint16
	// Data holds the held-out labelled items sampled each epoch.
	Data *model.Dataset
	// Sample is the number of items per miner and epoch (default 32).
	Sample int
	// Timeout per miner query (default 2s); answers slower than
	// MaxLatency (default 1s) lose half their score.
	Timeout, MaxLatency time.Duration
	// Copy makes the validator copy the revealed weights of the other
	// validators instead of evaluating (the weight-copying attack).
	Copy bool
	// MaxCommits, if positive, stops setting weights after that many
	// commits (a validator that keeps its stake but lets its weights go
	// stale).
	MaxCommits int
	// Log receives one line per action (may be nil).
	Log io.Writer
	// HTTP is the client for miner queries (default: one with Timeout).
	HTTP *http.Client
	// Rand seeds sampling (default: random).
	Rand *mrand.Rand

	started    bool
	commits    int
	lastCommit int64     // epoch of the last commit attempt, -1 initially
	pending    []pending // commits waiting for their reveal, oldest first
	// LastScores are the scores of the last round (for reports).
	LastScores []Score
}

type pending struct {
	epoch  uint64
	uids   []uint16
	values []uint16
	salt   []byte
}

func (v *Validator) logf(format string, args ...any) {
	if v.Log != nil {
		fmt.Fprintf(v.Log, format+"\n", args...)
	}
}

func (v *Validator) addr() tx.Address {
	return tx.AddressFromPubKey(v.Key.Public().(ed25519.PublicKey))
}

// Run calls Step every poll until ctx ends.
func (v *Validator) Run(ctx context.Context, poll time.Duration) error {
	for {
		if err := v.Step(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			v.logf("validator: %v", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// Step reveals a due commit and, once per epoch, scores the miners and
// commits new weights.
func (v *Validator) Step(ctx context.Context) error {
	if !v.started {
		v.started, v.lastCommit = true, -1
	}
	var s subnet.SubnetInfo
	if err := v.Client.Query(ctx, "subnet", fmt.Sprintf("subnet/%d", v.NetUID), nil, &s); err != nil {
		return fmt.Errorf("query subnet %d: %w", v.NetUID, err)
	}
	if s.Task != subnet.TaskClassify {
		return fmt.Errorf("subnet %d runs task %q, not %q", v.NetUID, s.Task, subnet.TaskClassify)
	}
	// Reveal the commit that is due (one per epoch; with a reveal period of
	// N epochs up to N commits wait at a time).
	for len(v.pending) > 0 && s.Epochs >= v.pending[0].epoch+s.Hyper.RevealPeriodEpochs {
		p := v.pending[0]
		if s.Epochs > p.epoch+s.Hyper.RevealPeriodEpochs {
			v.logf("commit of epoch %d expired before its reveal", p.epoch)
			v.pending = v.pending[1:]
			continue
		}
		res, err := v.send(ctx, "subnet/reveal-weights", subnet.WeightsMsg{NetUID: v.NetUID, UIDs: p.uids, Values: p.values, Salt: hex.EncodeToString(p.salt)})
		switch {
		case err != nil:
			return err
		case res.Code == 0:
			v.logf("revealed %d weights of epoch %d", len(p.uids), p.epoch)
			v.pending = v.pending[1:]
		case res.Codespace == subnet.Name && res.Code == subnet.CodeRevealWindow.Num:
			// The epoch turned between the query and the reveal: the
			// next step sees it expired or still early.
			return nil
		default:
			v.logf("reveal failed: %s", res.Log)
			v.pending = v.pending[1:]
		}
	}
	if int64(s.Epochs) <= v.lastCommit || len(v.pending) >= subnet.MaxPendingCommits || (v.MaxCommits > 0 && v.commits >= v.MaxCommits) {
		return nil
	}
	var mg subnet.Metagraph
	if err := v.Client.Query(ctx, "subnet", fmt.Sprintf("metagraph/%d", v.NetUID), map[string][]string{"weights": {"1"}}, &mg); err != nil {
		return fmt.Errorf("query metagraph: %w", err)
	}
	self := v.addr()
	var me *subnet.NeuronInfo
	for i := range mg.Neurons {
		if mg.Neurons[i].Hotkey == self {
			me = &mg.Neurons[i]
		}
	}
	if me == nil {
		return fmt.Errorf("%s is not registered on subnet %d", self, v.NetUID)
	}
	if !me.ValidatorPermit {
		v.lastCommit = int64(s.Epochs) // wait for the next epoch's permits
		v.logf("no validator permit yet (epoch %d)", s.Epochs)
		return nil
	}
	var uids, vals []uint16
	if v.Copy {
		// A smart copier waits until the honest validators have revealed
		// in this epoch, then copies the freshest weights it can see.
		fresh := false
		for _, n := range mg.Neurons {
			fresh = fresh || (n.Hotkey != self && n.ValidatorPermit && n.LastUpdate > s.LastEpoch && len(n.Weights) > 0)
		}
		if !fresh {
			return nil
		}
		uids, vals = copyWeights(&mg, self)
	} else {
		v.LastScores = v.score(ctx, &mg, self)
		for _, sc := range v.LastScores {
			if sc.Weight > 0 {
				uids, vals = append(uids, sc.UID), append(vals, sc.Weight)
			}
		}
	}
	v.lastCommit = int64(s.Epochs)
	if len(uids) == 0 {
		v.logf("epoch %d: nothing to weight", s.Epochs)
		return nil
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("salt: %w", err)
	}
	h := subnet.CommitHash(self, v.NetUID, uids, vals, salt)
	res, err := v.send(ctx, "subnet/commit-weights", subnet.CommitMsg{NetUID: v.NetUID, Hash: hex.EncodeToString(h[:])})
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return fmt.Errorf("commit failed: %s", res.Log)
	}
	epoch := s.Epochs
	for _, e := range res.Events {
		if e.Type != "subnet-commit" {
			continue
		}
		for _, a := range e.Attrs {
			if a.Key == "epoch" {
				if n, err := strconv.ParseUint(a.Value, 10, 64); err == nil {
					epoch = n
				}
			}
		}
	}
	if k := len(v.pending); k > 0 && v.pending[k-1].epoch == epoch {
		v.pending[k-1] = pending{epoch: epoch, uids: uids, values: vals, salt: salt} // replaced on chain
	} else {
		v.pending = append(v.pending, pending{epoch: epoch, uids: uids, values: vals, salt: salt})
	}
	v.commits++
	v.logf("committed %d weights in epoch %d", len(uids), epoch)
	return nil
}

func (v *Validator) send(ctx context.Context, kind string, m any) (*api.TxResult, error) {
	msg, err := tx.NewMsg(kind, m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", kind, err)
	}
	res, err := v.Client.SignAndBroadcast(ctx, v.Key, client.TxOptions{}, msg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	return res, nil
}

// copyWeights averages the normalised revealed weights of the other
// permitted validators.
func copyWeights(mg *subnet.Metagraph, self tx.Address) (uids, vals []uint16) {
	sum := make([]float64, len(mg.Neurons))
	for _, n := range mg.Neurons {
		if n.Hotkey == self || !n.ValidatorPermit || len(n.Weights) == 0 {
			continue
		}
		var tot float64
		for _, w := range n.Weights {
			tot += float64(w[1])
		}
		for _, w := range n.Weights {
			if int(w[0]) < len(sum) && tot > 0 {
				sum[w[0]] += float64(w[1]) / tot
			}
		}
	}
	var mx float64
	for _, x := range sum {
		mx = max(mx, x)
	}
	for j, x := range sum {
		if x > 0 && mx > 0 {
			uids = append(uids, uint16(j))
			vals = append(vals, uint16(x/mx*65535))
		}
	}
	return uids, vals
}

// score queries every miner (neurons with an axon, except self) on the
// same random sample and turns chance-corrected accuracy into weights:
// weight ∝ max(0, (acc − 1/C)/(1 − 1/C))², halved for answers slower than
// MaxLatency.
func (v *Validator) score(ctx context.Context, mg *subnet.Metagraph, self tx.Address) []Score {
	sample := v.Sample
	if sample <= 0 {
		sample = 32
	}
	timeout, maxLat := v.Timeout, v.MaxLatency
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	if maxLat <= 0 {
		maxLat = time.Second
	}
	hc := v.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: timeout}
	}
	if v.Rand == nil {
		var seed [16]byte
		rand.Read(seed[:])
		v.Rand = mrand.New(mrand.NewPCG(beU64(seed[:8]), beU64(seed[8:])))
	}
	n := v.Data.Len()
	idx := make([]int, min(sample, n))
	req := Request{Inputs: make([][]int64, len(idx))}
	for k := range idx {
		idx[k] = v.Rand.IntN(n)
		req.Inputs[k] = v.Data.X[idx[k]]
	}
	body, _ := json.Marshal(req)
	chance := 1 / float64(max(v.Data.Classes, 2))
	var targets []subnet.NeuronInfo
	for _, nr := range mg.Neurons {
		if nr.Hotkey != self && nr.Axon != "" {
			targets = append(targets, nr)
		}
	}
	// Query up to 16 miners at a time; each gets the same sample.
	out := make([]Score, len(targets))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for k, nr := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sc := Score{UID: nr.UID, Total: len(idx)}
			start := time.Now()
			labels, err := query(ctx, hc, nr.Axon, body, len(idx))
			sc.Latency = time.Since(start)
			if err != nil {
				sc.Err = err.Error()
				out[k] = sc
				return
			}
			for q, l := range labels {
				if l == v.Data.Y[idx[q]] {
					sc.Correct++
				}
			}
			sc.Accuracy = float64(sc.Correct) / float64(sc.Total)
			a := max(0, (sc.Accuracy-chance)/(1-chance))
			w := a * a
			if sc.Latency > maxLat {
				w /= 2
			}
			sc.Weight = uint16(w * 65535)
			out[k] = sc
		}()
	}
	wg.Wait()
	return out
}

func beU64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

// ErrBadAnswer is returned for answers of the wrong length.
var ErrBadAnswer = errors.New("miner answered the wrong number of labels")

func query(ctx context.Context, hc *http.Client, axon string, body []byte, want int) ([]int, error) {
	url := axon
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		url = "http://" + url
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+"/v1/classify", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query miner %s: %w", axon, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("miner %s: %s: %s", axon, resp.Status, strings.TrimSpace(string(b)))
	}
	var r Response
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("miner %s: decode: %w", axon, err)
	}
	if len(r.Labels) != want {
		return nil, fmt.Errorf("miner %s: %d labels for %d inputs: %w", axon, len(r.Labels), want, ErrBadAnswer)
	}
	return r.Labels, nil
}
