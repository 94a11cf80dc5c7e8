// Package ingestd is the ingest worker (`emergence ingest`): an HTTP
// endpoint on loopback where devices POST signed CloudEvents, one epoch
// inbox per epoch on disk, and the close of each finished epoch: the rules
// of package ingest over the epoch's whole inbox at once, the accepted
// events in Parquet (sorted by subject and time, RowGroupRows rows per row
// group), the rejected ones with their reasons, and the epoch's root and
// evidence posted on chain.
//
// A POST checks an event's form only (size, strict CloudEvents JSON, a
// known type): a malformed event is refused with 400 and kept in
// rejected-unassigned.ndjson with its reason. Signatures, registration,
// pairing and every validation rule run when the epoch closes, over the
// whole epoch in (subject, time, type, source, id) order with the epoch's
// end as the reference time, so the root depends on the set of events
// received and on the device records at close, never on arrival order or
// on the clock: two ingest nodes fed the same events post the same root.
//
// An epoch closes once the chain's block time has passed its end by the
// grace period (late events of a closed epoch are refused with 409 and kept
// in the epoch's late.ndjson), or when POST /v1/epochs/N/close asks. The
// first node to post an epoch is paid; every other node checks its own
// root against the posted one and records whether they agree.
//
// Endpoints:
//
//	POST /v1/events                     one event, or a JSON array of events
//	GET  /v1/epochs/N                   the epoch's summary (open or closed)
//	POST /v1/epochs/N/close             close (and post) a finished epoch now
//	GET  /v1/epochs/N/rejected          rejected events with reasons
//	GET  /v1/epochs/N/events/I/proof    event I with its inclusion proof (a device/challenge body)
package ingestd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"emergence/device"
	"emergence/device/event"
	"emergence/device/ingest"
	"emergence/device/merkle"
	"emergence/tx"
)

// Limits of the endpoint.
const (
	// MaxBatch is the most events one POST carries.
	MaxBatch = 1_000
	// MaxBody bounds a POST body.
	MaxBody = MaxBatch*(event.MaxBytes+8) + 16
	// MaxEpochEvents bounds one epoch's inbox; later events are refused
	// with 507 (and kept in the epoch's late.ndjson).
	MaxEpochEvents = 2_000_000
)

// Chain is what the worker needs from a node.
type Chain interface {
	// BlockTime is the latest block's time.
	BlockTime(ctx context.Context) (time.Time, error)
	// Device returns a device's record; ok is false when the chain has no
	// such device. Any error is a failure to ask, and the close is retried.
	Device(ctx context.Context, id string) (d device.Device, ok bool, err error)
	// Epoch returns a posted epoch's record (its payouts need not be
	// listed); ok is false before any post.
	Epoch(ctx context.Context, n uint64) (rec device.EpochRecord, ok bool, err error)
	// Post broadcasts one part of an epoch post and waits for its result:
	// nil when it committed, ErrPosted when another node posted the epoch
	// first.
	Post(ctx context.Context, p device.PostEpoch) (txHash string, err error)
	// Self is the ingest node's address (the signer of its posts).
	Self() tx.Address
}

// ErrPosted is returned by Chain.Post when the epoch was posted already.
var ErrPosted = errors.New("epoch already posted")

// Config configures a Server.
type Config struct {
	// Dir holds the inboxes, Parquet files and summaries.
	Dir string
	// Coverage is the coverage box of the rules.
	Coverage ingest.Box
	// Grace is how long after an epoch's end (in block time) it stays open.
	Grace time.Duration
	// Log receives one line per closed epoch and per failure (nil: none).
	Log io.Writer
}

// Summary is an epoch's state, as GET /v1/epochs/N serves it and
// summary.json keeps it.
type Summary struct {
	Epoch    uint64 `json:"epoch"`
	Closed   bool   `json:"closed"`
	Received int    `json:"received"`
	Accepted int    `json:"accepted"`
	Rejected int    `json:"rejected"`
	// Reasons counts rejected events per reason.
	Reasons map[string]int `json:"reasons,omitempty"`
	Root    string         `json:"root,omitempty"`
	Devices int            `json:"devices"`
	// Posted is true when this node's post paid the epoch, with its tx.
	Posted bool   `json:"posted"`
	Tx     string `json:"tx,omitempty"`
	// ChainRoot is the root the chain recorded (whoever posted) and Agrees
	// whether it is this node's.
	ChainRoot string `json:"chain_root,omitempty"`
	Agrees    bool   `json:"agrees"`
	// Parquet is the accepted events' file, RowGroups its row counts.
	Parquet   string  `json:"parquet,omitempty"`
	RowGroups []int64 `json:"row_groups,omitempty"`
	// Error is the last failure to post, when the epoch is closed but not
	// on chain yet.
	Error string `json:"error,omitempty"`
}

// Server is one ingest node.
type Server struct {
	cfg   Config
	chain Chain

	// op serializes closes and posts (one post in flight, so one nonce).
	op     sync.Mutex
	mu     sync.Mutex          // guards the maps below
	inbox  map[uint64]*os.File // open epochs' inbox files
	counts map[uint64]int
	closed map[uint64]*Summary
}

// New opens (or reopens) an ingest node's directory.
func New(cfg Config, chain Chain) (*Server, error) {
	s := &Server{cfg: cfg, chain: chain, inbox: map[uint64]*os.File{}, counts: map[uint64]int{}, closed: map[uint64]*Summary{}}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "epochs"), 0o755); err != nil {
		return nil, fmt.Errorf("ingest directory: %w", err)
	}
	ents, err := os.ReadDir(filepath.Join(cfg.Dir, "epochs"))
	if err != nil {
		return nil, fmt.Errorf("ingest directory: %w", err)
	}
	for _, e := range ents {
		n, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		var sum Summary
		if b, err := os.ReadFile(s.path(n, "summary.json")); err == nil && json.Unmarshal(b, &sum) == nil && sum.Closed {
			s.closed[n] = &sum
			continue
		}
		raws, err := s.readInbox(n)
		if err != nil {
			return nil, err
		}
		s.counts[n] = len(raws)
	}
	return s, nil
}

func (s *Server) path(n uint64, name string) string {
	return filepath.Join(s.cfg.Dir, "epochs", strconv.FormatUint(n, 10), name)
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, format+"\n", args...)
	}
}

// Result is what POST /v1/events answers for each event, in body order.
type Result struct {
	Status string `json:"status"` // "queued", "malformed", "late" or "full"
	Epoch  uint64 `json:"epoch,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Handler returns the HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", s.postEvents)
	mux.HandleFunc("GET /v1/epochs/{n}", s.getEpoch)
	mux.HandleFunc("POST /v1/epochs/{n}/close", s.closeEpoch)
	mux.HandleFunc("GET /v1/epochs/{n}/rejected", s.getRejected)
	mux.HandleFunc("GET /v1/epochs/{n}/events/{i}/proof", s.getProof)
	return mux
}

type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "body over %d bytes: send at most %d events per request", MaxBody, MaxBatch)
		return
	}
	body = bytes.TrimSpace(body)
	var raws []json.RawMessage
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &raws); err != nil {
			fail(w, http.StatusBadRequest, "body is not a JSON array of events: %v", err)
			return
		}
	} else {
		raws = []json.RawMessage{body}
	}
	if len(raws) == 0 || len(raws) > MaxBatch {
		fail(w, http.StatusBadRequest, "send 1 to %d events, got %d", MaxBatch, len(raws))
		return
	}
	res, err := s.Receive(raws)
	if err != nil {
		s.logf("ingest: %v", err)
		fail(w, http.StatusInternalServerError, "internal error")
		return
	}
	status := http.StatusAccepted
	if !slices.ContainsFunc(res, func(r Result) bool { return r.Status == "queued" }) {
		status = http.StatusBadRequest
		if len(res) == 1 && res[0].Status == "late" {
			status = http.StatusConflict
		} else if len(res) == 1 && res[0].Status == "full" {
			status = http.StatusInsufficientStorage
		}
	}
	writeJSON(w, status, res)
}

// Receive queues raw events in their epochs' inboxes after a form check;
// malformed ones are kept with their reason in rejected-unassigned.ndjson,
// late ones (their epoch closed) in the epoch's late.ndjson.
func (s *Server) Receive(raws []json.RawMessage) ([]Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Result, len(raws))
	for i, raw := range raws {
		ev, _, err := event.Parse(raw)
		if err != nil {
			out[i] = Result{Status: "malformed", Reason: err.Error()}
			if err := s.appendLine(filepath.Join(s.cfg.Dir, "rejected-unassigned.ndjson"), ingest.Rejected{Raw: raw, Reason: ingest.ReasonMalformed, Detail: err.Error()}); err != nil {
				return nil, err
			}
			continue
		}
		ms, _ := ev.Millis()
		if ms < 0 {
			out[i] = Result{Status: "malformed", Reason: "time before 1970"}
			continue
		}
		n := uint64(ms) / device.EpochMillis
		if s.closed[n] != nil {
			out[i] = Result{Status: "late", Epoch: n, Reason: fmt.Sprintf("epoch %d is closed", n)}
			if err := s.appendLine(s.path(n, "late.ndjson"), ingest.Rejected{Raw: raw, Reason: "late", Detail: out[i].Reason}); err != nil {
				return nil, err
			}
			continue
		}
		if s.counts[n] >= MaxEpochEvents {
			out[i] = Result{Status: "full", Epoch: n, Reason: fmt.Sprintf("epoch %d holds %d events, the most one node keeps", n, MaxEpochEvents)}
			continue
		}
		f, err := s.inboxFile(n)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(append(compact(raw), '\n')); err != nil {
			return nil, fmt.Errorf("append to epoch %d inbox: %w", n, err)
		}
		s.counts[n]++
		out[i] = Result{Status: "queued", Epoch: n}
	}
	return out, nil
}

// compact strips insignificant whitespace so that each event is one line;
// the rules re-parse it and sign over the parsed envelope.
func compact(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func (s *Server) inboxFile(n uint64) (*os.File, error) {
	if f := s.inbox[n]; f != nil {
		return f, nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path(n, "inbox.ndjson")), 0o755); err != nil {
		return nil, fmt.Errorf("epoch %d directory: %w", n, err)
	}
	f, err := os.OpenFile(s.path(n, "inbox.ndjson"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("epoch %d inbox: %w", n, err)
	}
	s.inbox[n] = f
	return f, nil
}

func (s *Server) appendLine(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	b, _ := json.Marshal(v)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return f.Close()
}

func (s *Server) readInbox(n uint64) ([][]byte, error) {
	f, err := os.Open(s.path(n, "inbox.ndjson"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("epoch %d inbox: %w", n, err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), event.MaxBytes*4+16)
	for sc.Scan() {
		if line := sc.Bytes(); len(line) > 0 {
			out = append(out, slices.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("epoch %d inbox: %w", n, err)
	}
	return out, nil
}

// Open returns the open epochs that have events, in order.
func (s *Server) Open() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for n := range s.counts {
		if s.closed[n] == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Run closes epochs as block time passes their end plus the grace
// period, checking every interval, and retries failed posts, until ctx ends.
func (s *Server) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.logf("ingest: %v", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick closes every epoch whose end plus grace is before the latest block
// time, and retries the posts of closed epochs not on chain yet.
func (s *Server) Tick(ctx context.Context) error {
	bt, err := s.chain.BlockTime(ctx)
	if err != nil {
		return fmt.Errorf("read block time: %w", err)
	}
	s.op.Lock()
	defer s.op.Unlock()
	for _, n := range s.Open() {
		if end := time.UnixMilli(int64(n+1) * device.EpochMillis).Add(s.cfg.Grace); bt.Before(end) {
			continue
		}
		if _, err := s.close(ctx, n); err != nil {
			return err
		}
	}
	s.mu.Lock()
	var retry []uint64
	for n, sum := range s.closed {
		if sum.ChainRoot == "" {
			retry = append(retry, n)
		}
	}
	s.mu.Unlock()
	slices.Sort(retry)
	for _, n := range retry {
		if _, err := s.post(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// ErrNotEnded is returned by Close for an epoch whose end is after the
// latest block time: the chain would refuse its post.
var ErrNotEnded = errors.New("epoch has not ended in block time")

// Close runs the rules over epoch n's inbox, writes its files and posts
// it. Closing a closed epoch only retries a failed post.
func (s *Server) Close(ctx context.Context, n uint64) (*Summary, error) {
	s.op.Lock()
	defer s.op.Unlock()
	return s.close(ctx, n)
}

func (s *Server) close(ctx context.Context, n uint64) (*Summary, error) {
	s.mu.Lock()
	done := s.closed[n] != nil
	s.mu.Unlock()
	if done {
		return s.post(ctx, n)
	}
	bt, err := s.chain.BlockTime(ctx)
	if err != nil {
		return nil, fmt.Errorf("read block time: %w", err)
	}
	if bt.UnixMilli() < int64(n+1)*device.EpochMillis {
		return nil, fmt.Errorf("epoch %d ends at %s, block time is %s: %w", n, time.UnixMilli(int64(n+1)*device.EpochMillis).UTC().Format(time.RFC3339), bt.UTC().Format(time.RFC3339), ErrNotEnded)
	}
	// Stop taking events for n first, so the inbox read is the whole epoch.
	s.mu.Lock()
	if f := s.inbox[n]; f != nil {
		f.Close()
		delete(s.inbox, n)
	}
	s.closed[n] = &Summary{Epoch: n, Closed: true}
	s.mu.Unlock()
	sum, err := s.evaluate(ctx, n)
	if err != nil {
		s.mu.Lock()
		delete(s.closed, n) // reopen: nothing was written
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Lock()
	s.closed[n] = sum
	s.mu.Unlock()
	return s.post(ctx, n)
}

// chainRegistry is the device records a close reads, fetched once each.
type chainRegistry map[string]ingest.DeviceInfo

func (r chainRegistry) Device(id string) (ingest.DeviceInfo, bool, error) {
	d, ok := r[id]
	return d, ok, nil
}

// evaluate applies the rules to epoch n's inbox and writes accepted.parquet,
// rejected.ndjson, evidence.json and summary.json.
func (s *Server) evaluate(ctx context.Context, n uint64) (*Summary, error) {
	raws, err := s.readInbox(n)
	if err != nil {
		return nil, err
	}
	reg := chainRegistry{}
	for _, raw := range raws {
		ev, _, err := event.Parse(raw)
		if err != nil || reg[ev.Source].PubKey != nil {
			continue
		}
		if _, asked := reg[ev.Source]; asked {
			continue
		}
		d, ok, err := s.chain.Device(ctx, ev.Source)
		if err != nil {
			return nil, fmt.Errorf("epoch %d: look up device %s: %w", n, ev.Source, err)
		}
		if !ok {
			reg[ev.Source] = ingest.DeviceInfo{}
			continue
		}
		pub, err := hex.DecodeString(d.PubKey)
		if err != nil {
			return nil, fmt.Errorf("epoch %d: device %s has a corrupt key on chain: %w", n, d.ID, err)
		}
		info := ingest.DeviceInfo{KeyType: d.KeyType, PubKey: pub, Retired: d.Retired}
		if d.Paired() {
			info.Owner = d.Owner.String()
		}
		reg[ev.Source] = info
	}
	node := ingest.New(knownOnly(reg), s.cfg.Coverage)
	node.Add(raws, int64(n+1)*device.EpochMillis)
	acc := node.Accepted()
	rows := make([]Row, len(acc))
	for i, a := range acc {
		rows[i] = rowOf(a)
	}
	if err := writeRows(s.path(n, "accepted.parquet"), rows); err != nil {
		return nil, err
	}
	rej := node.Rejected()
	var rb bytes.Buffer
	sum := &Summary{Epoch: n, Closed: true, Received: len(raws), Accepted: len(acc), Rejected: len(rej), Reasons: map[string]int{},
		Parquet: s.path(n, "accepted.parquet")}
	for _, r := range rej {
		b, _ := json.Marshal(r)
		rb.Write(append(b, '\n'))
		sum.Reasons[r.Reason]++
	}
	if err := writeFileAtomic(s.path(n, "rejected.ndjson"), rb.Bytes()); err != nil {
		return nil, err
	}
	root := node.Root()
	sum.Root = hex.EncodeToString(root[:])
	evid := EvidenceOf(node)
	sum.Devices = len(evid)
	b, _ := json.MarshalIndent(evidenceFile{Epoch: n, Root: sum.Root, Events: uint64(len(acc)), Evidence: evid}, "", " ")
	if err := writeFileAtomic(s.path(n, "evidence.json"), b); err != nil {
		return nil, err
	}
	if sum.RowGroups, err = RowGroups(sum.Parquet); err != nil {
		return nil, err
	}
	if err := s.saveSummary(sum); err != nil {
		return nil, err
	}
	s.logf("ingest: epoch %d closed: %d received, %d accepted, %d rejected, %d devices, root %s", n, sum.Received, sum.Accepted, sum.Rejected, sum.Devices, sum.Root)
	return sum, nil
}

// knownOnly turns the registry's "asked, not on chain" entries into unknown devices.
type knownOnly chainRegistry

func (r knownOnly) Device(id string) (ingest.DeviceInfo, bool, error) {
	d, ok := r[id]
	return d, ok && d.PubKey != nil, nil
}

// EvidenceOf is the chain's evidence of an evaluated epoch: per device,
// sorted by id, its accepted readings and distinct cells (at most
// device.MaxRewardCells), named by their ids so the chain weighs their
// freshness.
func EvidenceOf(node *ingest.Node) []device.Evidence {
	evid := []device.Evidence{}
	for _, e := range node.Evidence(device.MaxRewardCells) {
		ids := make([]uint64, len(e.Cells))
		for i, c := range e.Cells {
			ids[i] = device.CellID(c.Lat, c.Lon)
		}
		slices.Sort(ids)
		evid = append(evid, device.Evidence{Device: e.Device, Readings: e.Readings, Cells: uint64(len(ids)), CellIDs: ids})
	}
	slices.SortFunc(evid, func(a, b device.Evidence) int { return strings.Compare(a.Device, b.Device) })
	return evid
}

func (s *Server) saveSummary(sum *Summary) error {
	b, _ := json.MarshalIndent(sum, "", "  ")
	return writeFileAtomic(s.path(sum.Epoch, "summary.json"), b)
}

// post sends closed epoch n's post, or, when another node posted first,
// records the chain's root and whether it agrees.
func (s *Server) post(ctx context.Context, n uint64) (*Summary, error) {
	s.mu.Lock()
	sum := *s.closed[n]
	s.mu.Unlock()
	if sum.ChainRoot != "" {
		return &sum, nil
	}
	b, err := os.ReadFile(s.path(n, "evidence.json"))
	if err != nil {
		return nil, fmt.Errorf("epoch %d evidence: %w", n, err)
	}
	var p evidenceFile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("epoch %d evidence: %w", n, err)
	}
	rec, ok, err := s.chain.Epoch(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("read epoch %d record: %w", n, err)
	}
	// More devices or cells than one post takes go in parts
	// (device.SplitEvidence); a node that posted some parts before a
	// restart goes on from the next.
	chunks := device.SplitEvidence(p.Evidence)
	parts := len(chunks)
	first := 0
	if ok && rec.Ingest == s.chain.Self() {
		first = int(rec.Received)
		if rec.Complete {
			first = parts
		}
	}
	var perr error
	if !ok || rec.Ingest == s.chain.Self() {
		for part := first; part < parts; part++ {
			post := device.PostEpoch{Epoch: n, Root: p.Root, Events: p.Events, Evidence: device.PackEvidence(chunks[part]), Part: uint64(part), Parts: uint64(parts)}
			if parts == 1 {
				post.Parts = 0
			}
			var hash string
			if hash, perr = s.chain.Post(ctx, post); perr != nil {
				break
			}
			sum.Posted, sum.Tx, sum.Error = true, hash, ""
		}
	}
	switch {
	case perr == nil, errors.Is(perr, ErrPosted):
	default:
		sum.Error = perr.Error()
		s.mu.Lock()
		s.closed[n] = &sum
		s.mu.Unlock()
		s.saveSummary(&sum)
		return &sum, fmt.Errorf("post epoch %d: %w", n, perr)
	}
	rec, ok, err = s.chain.Epoch(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("read epoch %d record: %w", n, err)
	}
	if ok {
		sum.ChainRoot, sum.Agrees = rec.Root, rec.Root == sum.Root
		if !sum.Agrees {
			s.logf("ingest: epoch %d: the chain's root %s (posted by %s) differs from ours %s: check it for a fraud proof", n, rec.Root, rec.Ingest, sum.Root)
		}
	}
	s.mu.Lock()
	s.closed[n] = &sum
	s.mu.Unlock()
	if err := s.saveSummary(&sum); err != nil {
		return nil, err
	}
	return &sum, nil
}

func epochArg(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	n, err := strconv.ParseUint(r.PathValue("n"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "epoch %q is not a number", r.PathValue("n"))
		return 0, false
	}
	return n, true
}

// Summary returns epoch n's summary (open epochs: what was received).
func (s *Server) Summary(n uint64) (Summary, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sum := s.closed[n]; sum != nil {
		return *sum, true
	}
	c, ok := s.counts[n]
	return Summary{Epoch: n, Received: c}, ok
}

func (s *Server) getEpoch(w http.ResponseWriter, r *http.Request) {
	n, ok := epochArg(w, r)
	if !ok {
		return
	}
	sum, ok := s.Summary(n)
	if !ok {
		fail(w, http.StatusNotFound, "no events for epoch %d", n)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) closeEpoch(w http.ResponseWriter, r *http.Request) {
	n, ok := epochArg(w, r)
	if !ok {
		return
	}
	if _, ok := s.Summary(n); !ok {
		fail(w, http.StatusNotFound, "no events for epoch %d", n)
		return
	}
	sum, err := s.Close(r.Context(), n)
	switch {
	case errors.Is(err, ErrNotEnded):
		fail(w, http.StatusConflict, "%v", err)
	case err != nil && sum != nil: // closed, the post failed: the summary says why
		writeJSON(w, http.StatusBadGateway, sum)
	case err != nil:
		s.logf("ingest: close epoch %d: %v", n, err)
		fail(w, http.StatusBadGateway, "close epoch %d: %v", n, err)
	default:
		writeJSON(w, http.StatusOK, sum)
	}
}

func (s *Server) closedSummary(w http.ResponseWriter, r *http.Request) (Summary, bool) {
	n, ok := epochArg(w, r)
	if !ok {
		return Summary{}, false
	}
	sum, ok := s.Summary(n)
	if !ok || !sum.Closed {
		fail(w, http.StatusNotFound, "epoch %d is not closed", n)
		return Summary{}, false
	}
	return sum, true
}

func (s *Server) getRejected(w http.ResponseWriter, r *http.Request) {
	sum, ok := s.closedSummary(w, r)
	if !ok {
		return
	}
	b, err := os.ReadFile(s.path(sum.Epoch, "rejected.ndjson"))
	if err != nil {
		fail(w, http.StatusInternalServerError, "internal error")
		return
	}
	out := []ingest.Rejected{}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var rj ingest.Rejected
		if len(line) > 0 && json.Unmarshal(line, &rj) == nil {
			out = append(out, rj)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getProof(w http.ResponseWriter, r *http.Request) {
	sum, ok := s.closedSummary(w, r)
	if !ok {
		return
	}
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || i < 0 || i >= sum.Accepted {
		fail(w, http.StatusNotFound, "epoch %d has events 0 to %d", sum.Epoch, sum.Accepted-1)
		return
	}
	rows, err := ReadRows(sum.Parquet)
	if err != nil {
		s.logf("ingest: %v", err)
		fail(w, http.StatusInternalServerError, "internal error")
		return
	}
	leaves := make([][32]byte, len(rows))
	for k, row := range rows {
		leaves[k] = merkle.Leaf([]byte(row.Event))
	}
	writeJSON(w, http.StatusOK, device.Challenge{Epoch: sum.Epoch, Event: rows[i].Event, Proof: merkle.Prove(leaves, i)})
}
