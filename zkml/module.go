package zkml

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"emergence/app"
	"emergence/store"
	"emergence/tx"
	"emergence/zkml/verifier"
)

// Gas costs, each an upper bound on the work it pays for at ≤ 20 ns per
// gas unit (emergence bench gas, bench/gasbench, runs the worst case: a key with the
// verifier's limit of four commitments, decoded on a cold cache). A
// verification is charged GasDecodeKey (the key is decoded again whenever
// the node's cache misses: subgroup checks and the e(α, β) pairing),
// GasVerify (the pairing product, public inputs fixed per circuit kind)
// and GasPerCommitment for each commitment of the key (its proof of
// knowledge adds two Miller loops and a hash).
const (
	GasRegister      = 50_000
	GasPerKeyByte    = 20
	GasDecodeKey     = 150_000
	GasAttest        = 20_000
	GasInfer         = 20_000
	GasBind          = 20_000
	GasVerify        = 150_000
	GasPerCommitment = 50_000
	// GasLink pays for one provenance link of an attestation: a read of
	// the dataset, labeling job or training job it names.
	GasLink = 5_000
	// GasPerLinkByte is charged for each byte of a linked record decoded
	// (a dataset lists up to 1,024 shard hashes, a labeling job 64 classes).
	GasPerLinkByte = 10
	// GasLinkNote pays for the back-link the data module keeps of an
	// attestation that names a dataset (one short key, one short scan of
	// the root index when named by root).
	GasLinkNote = 2_000
	// GasBindingCheck pays for the QA-NIZK's three-pairing check.
	GasBindingCheck   = 150_000
	MaxNameLen        = 64
	MaxProvenanceRoot = 64 // hex digits
	// NumPublics is the number of public inputs of the exam and inference
	// circuits: commitment, exam statement or input digest, claim or class,
	// submitter.
	NumPublics = 4
	// NumLinkPublics is the link circuit's: the model commitment and the
	// submitter.
	NumLinkPublics = 2
)

// maxCachedKeys bounds the decoded-key cache.
const maxCachedKeys = 256

// Module is the zkml chain module.
type Module struct {
	// keys caches decoded, checked verifying keys by the hex SHA-256 of
	// their bytes. Decoding (subgroup checks, the e(α, β) pairing) is about
	// a third of a verification. The cache changes no result: a miss
	// decodes the stored bytes again.
	mu      sync.Mutex
	keys    map[string]*verifier.Key
	queries *app.Router
	links   Links
}

// Links are the other modules' records an attestation's provenance names.
// Each is read from the same state the attestation is checked against.
type Links struct {
	Datasets  Datasets
	LabelJobs LabelJobs
	TrainJobs TrainJobs
	// Subnets shows where a model serves (provenance only: no
	// attestation depends on it).
	Subnets Serving
}

// Datasets is what zkml reads of the data module.
type Datasets interface {
	// DatasetRoot returns a registered dataset's Merkle root (hex) and
	// the size in bytes of the record read.
	DatasetRoot(r store.Reader, id uint64) (root string, size int, ok bool)
	// HasRoot reports whether some registered dataset has this root.
	HasRoot(r store.Reader, root string) bool
	// NoteAttestation records attestation id under dataset ds (by root
	// when ds is 0), for the dataset's provenance.
	NoteAttestation(kv store.KV, ds uint64, root string, id uint64)
	Evidence
}

// Evidence is what the provenance query shows of a linked record: a
// bounded JSON value, ok false when there is no record id.
type Evidence interface {
	Evidence(r store.Reader, id uint64) (any, bool)
}

// LabelJobs is what zkml reads of the label module: the dataset a
// labeling job was created over (0 and "" for none) and whether it
// settled, ok false when there is no such job.
type LabelJobs interface {
	JobLink(r store.Reader, id uint64) (dataset uint64, root string, settled bool, size int, ok bool)
	Evidence
}

// TrainJobs is what zkml reads of the compute module: the blob hash of a
// job's verified model file ("" when its output has none), ok false
// unless it has a verified result. Like the other links it also returns
// the size of the record it read.
type TrainJobs interface {
	VerifiedModel(r store.Reader, id uint64) (blob string, size int, ok bool)
	Evidence
}

// WithLinks lets attestations name datasets, labeling jobs and training
// jobs, each checked against l.
func (m *Module) WithLinks(l Links) *Module { m.links = l; return m }

// New returns the module.
func New() *Module {
	m := &Module{keys: make(map[string]*verifier.Key)}
	m.queries = app.NewRouter(Name,
		app.Route{Pattern: "circuits", Handle: queryCircuits},
		app.Route{Pattern: "circuit/{id}", Handle: queryCircuit},
		app.Route{Pattern: "attestation/{id}", Handle: queryAttestation},
		app.Route{Pattern: "inference/{id}", Handle: queryInference},
		app.Route{Pattern: "inferences", Handle: queryInferences},
		app.Route{Pattern: "model/{commitment}", Handle: queryModel},
		app.Route{Pattern: "binding/{id}/{commitment}", Handle: queryBinding},
		app.Route{Pattern: "exam/{id}", Handle: queryExam},
		app.Route{Pattern: "leaderboard/{id}", Handle: queryLeaderboard},
		app.Route{Pattern: "provenance/{commitment}", Handle: m.queryProvenance},
	)
	return m
}

// decodedKey returns a registered circuit's decoded verifying key.
func (m *Module) decodedKey(c *Circuit) (*verifier.Key, error) { return m.decoded(c.VK, c.VKHash) }

// decoded returns a stored verifying key decoded, from the cache when it can.
func (m *Module) decoded(vk []byte, vkHash string) (*verifier.Key, error) {
	m.mu.Lock()
	k := m.keys[vkHash]
	m.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := verifier.DecodeVK(vk)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(vk)
	if hex.EncodeToString(h[:]) != vkHash {
		return nil, fmt.Errorf("%w: stored key does not match its hash", verifier.ErrMalformedKey)
	}
	m.mu.Lock()
	if len(m.keys) < maxCachedKeys {
		m.keys[vkHash] = k
	}
	m.mu.Unlock()
	return k, nil
}

var _ app.Module = (*Module)(nil)

// Name implements app.Module.
func (m *Module) Name() string { return Name }

// Msgs implements app.Module.
func (m *Module) Msgs() []app.MsgHandler {
	return []app.MsgHandler{
		{Type: Name + "/register-exam", Gas: GasRegister, Handle: m.handleRegisterExam, Check: m.handleRegisterExam},
		{Type: Name + "/register-inference", Gas: GasRegister, Handle: m.handleRegisterInference, Check: m.handleRegisterInference},
		{Type: Name + "/attest", Gas: GasAttest, Handle: m.handleAttest, Check: m.handleAttest},
		{Type: Name + "/infer", Gas: GasInfer, Handle: m.handleInfer, Check: m.handleInfer},
		{Type: Name + "/bind", Gas: GasBind, Handle: m.handleBind, Check: m.handleBind},
	}
}

// InitGenesis implements app.Module: the module has no genesis state.
func (m *Module) InitGenesis(ctx *app.Context, raw json.RawMessage) error {
	if len(raw) > 0 && string(raw) != "null" && string(raw) != "{}" {
		return fmt.Errorf("zkml genesis takes no parameters, got %s", raw)
	}
	return nil
}

// EndBlock implements app.Module: nothing happens at the end of a block.
func (m *Module) EndBlock(ctx *app.Context) error { return nil }

// MsgRegisterExam registers the verifying key of an accuracy circuit.
type MsgRegisterExam struct {
	Name        string `json:"name"`
	ExamDigest  string `json:"exam_digest"`
	N           uint64 `json:"n"`
	ShapeDigest string `json:"shape_digest"`
	VK          []byte `json:"vk"`
}

// MsgRegisterInference registers an inference key: the inference
// circuit's verifying key, the link circuit's, and the binding key that
// joins their commitments.
type MsgRegisterInference struct {
	Name        string `json:"name"`
	ShapeDigest string `json:"shape_digest"`
	VK          []byte `json:"vk"`
	LinkVK      []byte `json:"link_vk"`
	BindingVK   []byte `json:"binding_vk"`
}

// MsgBind binds a model commitment to an inference key, once: a link proof
// that opens the commitment, the Pedersen commitment E that the model's
// inference proofs carry, and the QA-NIZK that both hide the same weights.
type MsgBind struct {
	Circuit    uint64 `json:"circuit"`
	Commitment string `json:"commitment"`
	Binding    []byte `json:"binding"`
	LinkProof  []byte `json:"link_proof"`
	Proof      []byte `json:"proof"`
}

// MsgAttest claims, with a proof, that a committed model scores at least
// Claim on a registered exam.
type MsgAttest struct {
	Exam        uint64 `json:"exam"`
	Commitment  string `json:"commitment"`
	Claim       uint64 `json:"claim"`
	Proof       []byte `json:"proof"`
	DatasetRoot string `json:"dataset_root,omitempty"`
	LabelJob    uint64 `json:"label_job,omitempty"`
	// Dataset names the training data by dataset id (DatasetRoot by its
	// root); TrainJob the compute job whose verified output file Model
	// (hex SHA-256 blob hash) is the attested model's file.
	Dataset  uint64 `json:"dataset,omitempty"`
	TrainJob uint64 `json:"train_job,omitempty"`
	Model    string `json:"model,omitempty"`
}

// MsgInfer claims, with a proof, that a committed model maps the input
// with digest InputDigest to Class.
type MsgInfer struct {
	Circuit     uint64 `json:"circuit"`
	Commitment  string `json:"commitment"`
	InputDigest string `json:"input_digest"`
	Class       uint64 `json:"class"`
	Proof       []byte `json:"proof"`
}

// element parses a field element and returns it with its canonical hex.
func element(what, h string) (*big.Int, string, error) {
	v, err := verifier.ParseElement(h)
	if err != nil {
		return nil, "", CodeBadPublicInput.Errorf("%s: %v", what, err)
	}
	return v, verifier.HexElement(v), nil
}

// checkKey validates a verifying key with the given number of public
// inputs and charges for its size.
func checkKey(ctx *app.Context, vk []byte, publics int) (string, error) {
	if len(vk) > verifier.MaxVKBytes {
		return "", CodeKeyTooLarge.Errorf("%d bytes, at most %d", len(vk), verifier.MaxVKBytes)
	}
	if err := ctx.ConsumeGas(GasDecodeKey+uint64(len(vk))*GasPerKeyByte, "verifying key"); err != nil {
		return "", err
	}
	k, err := verifier.DecodeVK(vk)
	if err != nil {
		return "", CodeMalformedKey.Errorf("%v", err)
	}
	if n := verifier.NumPublics(k); n != publics {
		return "", CodeMalformedKey.Errorf("key has %d public inputs, this circuit has %d", n, publics)
	}
	h := sha256.Sum256(vk)
	return hex.EncodeToString(h[:]), nil
}

func checkName(name string) error {
	if len(name) > MaxNameLen {
		return CodeBadField.Errorf("name of %d bytes, at most %d", len(name), MaxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return CodeBadField.Errorf("name has control characters")
		}
	}
	return nil
}

func (m *Module) register(ctx *app.Context, c Circuit) error {
	if err := checkName(c.Name); err != nil {
		return err
	}
	if _, hexShape, err := element("shape digest", c.ShapeDigest); err != nil {
		return err
	} else {
		c.ShapeDigest = hexShape
	}
	h, err := checkKey(ctx, c.VK, NumPublics)
	if err != nil {
		return err
	}
	c.VKHash = h
	if c.Kind == KindInference {
		if c.LinkVKHash, err = checkKey(ctx, c.LinkVK, NumLinkPublics); err != nil {
			return err
		}
		if err := ctx.ConsumeGas(GasDecodeKey, "binding key"); err != nil {
			return err
		}
		if _, err := verifier.DecodeBindingVK(c.BindingVK); err != nil {
			return CodeMalformedKey.Errorf("binding key: %v", err)
		}
	}
	c.ID = next(ctx.KV, "circuit")
	c.Registrant = ctx.Signer
	c.Height = ctx.Height
	store.PutJSON(ctx.KV, key("circuit", store.BE64(c.ID)), c)
	ctx.Emit("zkml/register", "id", fmt.Sprint(c.ID), "kind", c.Kind, "vk_hash", c.VKHash, "registrant", c.Registrant.String())
	return nil
}

func (m *Module) handleRegisterExam(ctx *app.Context, raw json.RawMessage) error {
	var msg MsgRegisterExam
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	ed, digest, err := element("exam digest", msg.ExamDigest)
	if err != nil {
		return err
	}
	if msg.N == 0 || msg.N > 1<<20 {
		return CodeBadField.Errorf("exam size %d outside [1, 2^20]", msg.N)
	}
	if err := checkName(msg.Name); err != nil {
		return err
	}
	sd, _, err := element("shape digest", msg.ShapeDigest)
	if err != nil {
		return err
	}
	stmt, err := verifier.ExamStatement(ed, msg.N, sd, msg.Name)
	if err != nil {
		return CodeBadField.Errorf("%v", err)
	}
	return m.register(ctx, Circuit{Kind: KindExam, Name: msg.Name, ExamDigest: digest, N: msg.N, ExamStatement: verifier.HexElement(stmt),
		ShapeDigest: msg.ShapeDigest, VK: msg.VK})
}

func (m *Module) handleRegisterInference(ctx *app.Context, raw json.RawMessage) error {
	var msg MsgRegisterInference
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	return m.register(ctx, Circuit{Kind: KindInference, Name: msg.Name, ShapeDigest: msg.ShapeDigest, VK: msg.VK,
		LinkVK: msg.LinkVK, BindingVK: msg.BindingVK})
}

// submitter is the public input every proof is bound to: the signer's
// address, so a proof copied by another account does not verify.
func submitter(ctx *app.Context) *big.Int { return new(big.Int).SetBytes(ctx.Signer[:]) }

// verify charges GasVerify and verifies. With a binding (inference
// proofs), the proof's commitment must equal it. It returns the proof's
// hash, recorded for reference only: the same claim has many proofs
// (re-encoded points, a re-randomised A·r, B·r⁻¹), so duplicates are found
// on the claim, by the caller, before verifying.
func (m *Module) verify(ctx *app.Context, c *Circuit, proof []byte, publics []*big.Int, binding []byte) (string, error) {
	h, err := m.checkProof(ctx, proof)
	if err != nil {
		return "", err
	}
	k, err := m.decodedKey(c)
	if err == nil {
		if err := commitmentGas(ctx, k); err != nil {
			return "", err
		}
		if binding != nil {
			err = verifier.VerifyBound(k, proof, publics, binding)
		} else {
			err = verifier.VerifyDecoded(k, proof, publics)
		}
	}
	if err := verifyCode(err); err != nil {
		return "", err
	}
	return hex.EncodeToString(h[:]), nil
}

// checkProof bounds a proof's size and charges GasDecodeKey and GasVerify.
// It returns the proof's hash.
func (m *Module) checkProof(ctx *app.Context, proof []byte) ([32]byte, error) {
	h := sha256.Sum256(proof)
	if len(proof) == 0 || len(proof) > verifier.MaxProofBytes {
		return h, CodeMalformedProof.Errorf("%d bytes, at most %d", len(proof), verifier.MaxProofBytes)
	}
	return h, ctx.ConsumeGas(GasDecodeKey+GasVerify, "proof verification")
}

// commitmentGas charges GasPerCommitment for each commitment of a decoded
// key, before the proof is checked against it.
func commitmentGas(ctx *app.Context, k *verifier.Key) error {
	return ctx.ConsumeGas(GasPerCommitment*uint64(len(k.CommitmentKeys)), "proof commitments")
}

// verifyCode maps a verifier error to the module's result code.
func verifyCode(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, verifier.ErrMalformedProof):
		return CodeMalformedProof.Errorf("%v", err)
	case errors.Is(err, verifier.ErrPublicInputs):
		return CodeBadPublicInput.Errorf("%v", err)
	case errors.Is(err, verifier.ErrMalformedKey):
		return CodeMalformedKey.Errorf("registered key: %v", err)
	case errors.Is(err, verifier.ErrMalformedBinding):
		return CodeMalformedProof.Errorf("%v", err)
	case errors.Is(err, verifier.ErrInvalidBinding):
		return CodeInvalidBinding.Errorf("%v", err)
	default:
		return CodeInvalidProof.Errorf("%v", err)
	}
}

func (m *Module) handleAttest(ctx *app.Context, raw json.RawMessage) error {
	var msg MsgAttest
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	c, err := getCircuit(ctx.KV, msg.Exam)
	if err != nil {
		return err
	}
	if c == nil {
		return CodeExamNotFound.Errorf("exam %d", msg.Exam)
	}
	if c.Kind != KindExam {
		return CodeWrongCircuit.Errorf("circuit %d is an %s key, not an exam", c.ID, c.Kind)
	}
	commitment, commitHex, err := element("commitment", msg.Commitment)
	if err != nil {
		return err
	}
	if msg.Claim > c.N {
		return CodeBadPublicInput.Errorf("claim %d above the exam's %d samples", msg.Claim, c.N)
	}
	if len(msg.DatasetRoot) > MaxProvenanceRoot {
		return CodeBadField.Errorf("dataset root of %d characters, at most %d", len(msg.DatasetRoot), MaxProvenanceRoot)
	}
	if msg.DatasetRoot != "" {
		if _, err := hex.DecodeString(msg.DatasetRoot); err != nil {
			return CodeBadField.Errorf("dataset root is not hex: %v", err)
		}
	}
	if err := m.checkLinks(ctx, &msg); err != nil {
		return err
	}
	if c.ExamStatement == "" {
		return CodeMalformedKey.Errorf("exam %d has no statement", c.ID)
	}
	stmt, _, err := element("exam statement", c.ExamStatement)
	if err != nil {
		return err
	}
	// One claim per (exam, model, submitter): a replayed, re-encoded or
	// re-randomised proof of the same claim, or a weaker one, is a duplicate.
	ck := key("claim", store.BE64(c.ID), []byte(commitHex), ctx.Signer[:])
	if old := ctx.KV.Get(ck); old != nil && u64(old) >= msg.Claim {
		return CodeDuplicateClaim.Errorf("model %s already has %d of %d on exam %d from this account (attestation %d)", commitHex, u64(old), c.N, c.ID, u64(old[8:]))
	}
	ph, err := m.verify(ctx, c, msg.Proof, []*big.Int{commitment, stmt, new(big.Int).SetUint64(msg.Claim), submitter(ctx)}, nil)
	if err != nil {
		return err
	}
	a := Attestation{
		ID: next(ctx.KV, "attest"), Exam: c.ID, Commitment: commitHex, Claim: msg.Claim, N: c.N,
		DatasetRoot: msg.DatasetRoot, LabelJob: msg.LabelJob, Dataset: msg.Dataset, TrainJob: msg.TrainJob, Model: msg.Model,
		Attester: ctx.Signer, Height: ctx.Height, ProofHash: ph,
	}
	store.PutJSON(ctx.KV, key("attest", store.BE64(a.ID)), a)
	ctx.KV.Set(ck, append(store.BE64(a.Claim), store.BE64(a.ID)...))
	ctx.KV.Set(key("by-model", []byte(commitHex), []byte("a"), store.BE64(a.ID)), nil)
	ctx.KV.Set(key("by-exam", store.BE64(c.ID), store.BE64(a.ID)), nil)
	if (a.Dataset != 0 || a.DatasetRoot != "") && m.links.Datasets != nil {
		if err := ctx.ConsumeGas(GasLinkNote, "dataset back-link"); err != nil {
			return err
		}
		m.links.Datasets.NoteAttestation(ctx.KV, a.Dataset, a.DatasetRoot, a.ID)
	}
	// Leaderboard: keep each model's best claim on the exam.
	bestKey := key("best", store.BE64(c.ID), []byte(commitHex))
	if old := ctx.KV.Get(bestKey); old != nil {
		if u64(old) >= a.Claim {
			ctx.Emit("zkml/attest", "id", fmt.Sprint(a.ID), "exam", fmt.Sprint(c.ID), "commitment", commitHex, "claim", fmt.Sprint(a.Claim))
			return nil
		}
		ctx.KV.Delete(key("board", store.BE64(c.ID), store.BE64(^u64(old)), []byte(commitHex)))
	}
	ctx.KV.Set(bestKey, append(store.BE64(a.Claim), store.BE64(a.ID)...))
	ctx.KV.Set(key("board", store.BE64(c.ID), store.BE64(^a.Claim), []byte(commitHex)), store.BE64(a.ID))
	ctx.Emit("zkml/attest", "id", fmt.Sprint(a.ID), "exam", fmt.Sprint(c.ID), "commitment", commitHex, "claim", fmt.Sprint(a.Claim))
	return nil
}

// checkLinks checks an attestation's provenance before its proof: the
// dataset it names (by id, root or both) is registered; its labeling job
// exists, settled, and was created over that dataset; its training job has
// a verified result with Model among its output files. A labeling job over
// a dataset fills in the dataset when the message names none, so the
// attestation records the whole chain. Each link costs GasLink.
func (m *Module) checkLinks(ctx *app.Context, msg *MsgAttest) error {
	msg.DatasetRoot = strings.ToLower(msg.DatasetRoot)
	msg.Model = strings.ToLower(msg.Model)
	if msg.DatasetRoot == "" && msg.Dataset == 0 && msg.LabelJob == 0 && msg.TrainJob == 0 && msg.Model == "" {
		return nil
	}
	if msg.DatasetRoot != "" && len(msg.DatasetRoot) != 64 {
		return CodeBadField.Errorf("dataset root of %d hex digits, want 64", len(msg.DatasetRoot))
	}
	if (msg.Model == "") != (msg.TrainJob == 0) {
		return CodeBadField.Errorf("a training job and its model file name each other: give both or neither")
	}
	if msg.Model != "" {
		if b, err := hex.DecodeString(msg.Model); err != nil || len(b) != 32 {
			return CodeBadField.Errorf("model must be a 64-hex-digit SHA-256 blob hash, got %q", msg.Model)
		}
	}
	l := m.links
	if l.Datasets == nil || l.LabelJobs == nil || l.TrainJobs == nil {
		return CodeLinksDisabled.Errorf("this chain does not record datasets, labeling jobs and training jobs")
	}
	if msg.Dataset != 0 {
		if err := ctx.ConsumeGas(GasLink, "dataset link"); err != nil {
			return err
		}
		root, size, ok := l.Datasets.DatasetRoot(ctx.KV, msg.Dataset)
		if err := ctx.ConsumeGas(uint64(size)*GasPerLinkByte, "dataset record"); err != nil {
			return err
		}
		if !ok {
			return CodeDatasetNotFound.Errorf("dataset %d", msg.Dataset)
		}
		if msg.DatasetRoot != "" && msg.DatasetRoot != root {
			return CodeDatasetNotFound.Errorf("dataset %d has root %s, not %s", msg.Dataset, root, msg.DatasetRoot)
		}
		msg.DatasetRoot = root
	} else if msg.DatasetRoot != "" {
		if err := ctx.ConsumeGas(GasLink, "dataset link"); err != nil {
			return err
		}
		if !l.Datasets.HasRoot(ctx.KV, msg.DatasetRoot) {
			return CodeDatasetNotFound.Errorf("no registered dataset has root %s", msg.DatasetRoot)
		}
	}
	if msg.LabelJob != 0 {
		if err := ctx.ConsumeGas(GasLink, "labeling job link"); err != nil {
			return err
		}
		ds, root, settled, size, ok := l.LabelJobs.JobLink(ctx.KV, msg.LabelJob)
		if err := ctx.ConsumeGas(uint64(size)*GasPerLinkByte, "labeling job record"); err != nil {
			return err
		}
		if !ok {
			return CodeLabelJobNotFound.Errorf("labeling job %d", msg.LabelJob)
		}
		if !settled {
			return CodeLabelJobUnsettled.Errorf("labeling job %d", msg.LabelJob)
		}
		switch {
		case msg.Dataset != 0 && ds != msg.Dataset:
			return CodeLabelJobDataset.Errorf("labeling job %d was created over dataset %d, not %d", msg.LabelJob, ds, msg.Dataset)
		case msg.DatasetRoot != "" && root != msg.DatasetRoot:
			return CodeLabelJobDataset.Errorf("labeling job %d was created over root %q, not %s", msg.LabelJob, root, msg.DatasetRoot)
		}
		// A labeling job over a dataset names it for the attestation.
		msg.Dataset, msg.DatasetRoot = ds, root
	}
	if msg.TrainJob != 0 {
		if err := ctx.ConsumeGas(GasLink, "training job link"); err != nil {
			return err
		}
		blob, size, ok := l.TrainJobs.VerifiedModel(ctx.KV, msg.TrainJob)
		if err := ctx.ConsumeGas(uint64(size)*GasPerLinkByte, "training job record"); err != nil {
			return err
		}
		if !ok {
			return CodeTrainJobUnverified.Errorf("compute job %d", msg.TrainJob)
		}
		if blob == "" || blob != msg.Model {
			return CodeNotJobOutput.Errorf("model %s is not compute job %d's verified model file (%q)", msg.Model, msg.TrainJob, blob)
		}
		return nil
	}
	return nil
}

func (m *Module) handleInfer(ctx *app.Context, raw json.RawMessage) error {
	var msg MsgInfer
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	c, commitment, commitHex, err := inferenceTarget(ctx, msg.Circuit, msg.Commitment)
	if err != nil {
		return err
	}
	input, inputHex, err := element("input digest", msg.InputDigest)
	if err != nil {
		return err
	}
	if msg.Class > 1<<16 {
		return CodeBadPublicInput.Errorf("class %d out of range", msg.Class)
	}
	var b Binding
	ok, err := store.GetJSON(ctx.KV, key("binding", store.BE64(c.ID), []byte(commitHex)), &b)
	if err != nil {
		return err
	}
	if !ok {
		return CodeNotBound.Errorf("model %s is not bound to inference key %d: submit 'tx zkml bind' first", commitHex, c.ID)
	}
	// The class is a function of the model and the input, so the claim is
	// (key, model, input, submitter): any second proof of it is a duplicate.
	ik := key("inferred", store.BE64(c.ID), []byte(commitHex), []byte(inputHex), ctx.Signer[:])
	if old := ctx.KV.Get(ik); old != nil {
		return CodeDuplicateClaim.Errorf("inference %d already records model %s on input %s from this account", u64(old), commitHex, inputHex)
	}
	ph, err := m.verify(ctx, c, msg.Proof, []*big.Int{commitment, input, new(big.Int).SetUint64(msg.Class), submitter(ctx)}, b.Binding)
	if err != nil {
		return err
	}
	inf := Inference{ID: next(ctx.KV, "infer"), Circuit: c.ID, Commitment: commitHex, InputDigest: inputHex,
		Class: msg.Class, Prover: ctx.Signer, Height: ctx.Height, ProofHash: ph}
	store.PutJSON(ctx.KV, key("infer", store.BE64(inf.ID)), inf)
	ctx.KV.Set(ik, store.BE64(inf.ID))
	ctx.KV.Set(key("by-model", []byte(commitHex), []byte("i"), store.BE64(inf.ID)), nil)
	ctx.KV.Set(key("by-circuit", store.BE64(c.ID), store.BE64(inf.ID)), nil)
	ctx.Emit("zkml/infer", "id", fmt.Sprint(inf.ID), "circuit", fmt.Sprint(c.ID), "commitment", commitHex, "class", fmt.Sprint(inf.Class))
	return nil
}

// inferenceTarget loads a registered inference key and parses the model
// commitment a bind or infer message names.
func inferenceTarget(ctx *app.Context, id uint64, commitment string) (*Circuit, *big.Int, string, error) {
	c, err := getCircuit(ctx.KV, id)
	if err != nil {
		return nil, nil, "", err
	}
	if c == nil {
		return nil, nil, "", CodeCircuitNotFound.Errorf("circuit %d", id)
	}
	if c.Kind != KindInference {
		return nil, nil, "", CodeWrongCircuit.Errorf("circuit %d is an %s key, not an inference key", c.ID, c.Kind)
	}
	v, h, err := element("commitment", commitment)
	return c, v, h, err
}

func (m *Module) handleBind(ctx *app.Context, raw json.RawMessage) error {
	var msg MsgBind
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	c, commitment, commitHex, err := inferenceTarget(ctx, msg.Circuit, msg.Commitment)
	if err != nil {
		return err
	}
	bk := key("binding", store.BE64(c.ID), []byte(commitHex))
	if ctx.KV.Get(bk) != nil {
		return CodeAlreadyBound.Errorf("model %s is already bound to inference key %d", commitHex, c.ID)
	}
	if _, err := m.checkProof(ctx, msg.LinkProof); err != nil {
		return err
	}
	// The binding key's two G2 points and the QA-NIZK's pairing check.
	if err := ctx.ConsumeGas(GasDecodeKey+GasBindingCheck, "binding check"); err != nil {
		return err
	}
	lk, err := m.decoded(c.LinkVK, c.LinkVKHash)
	if err != nil {
		return verifyCode(err)
	}
	if err := commitmentGas(ctx, lk); err != nil {
		return err
	}
	bvk, err := verifier.DecodeBindingVK(c.BindingVK)
	if err != nil {
		return CodeMalformedKey.Errorf("registered binding key: %v", err)
	}
	if err := verifyCode(verifier.VerifyBinding(lk, bvk, msg.LinkProof, []*big.Int{commitment, submitter(ctx)}, msg.Binding, msg.Proof)); err != nil {
		return err
	}
	b := Binding{Circuit: c.ID, Commitment: commitHex, Binding: msg.Binding, Binder: ctx.Signer, Height: ctx.Height}
	store.PutJSON(ctx.KV, bk, b)
	ctx.KV.Set(key("by-model", []byte(commitHex), []byte("b"), store.BE64(c.ID)), nil)
	ctx.Emit("zkml/bind", "circuit", fmt.Sprint(c.ID), "commitment", commitHex, "binder", ctx.Signer.String())
	return nil
}

// Invariants implements app.Module: every index entry points at a stored
// record that agrees with it, and every leaderboard entry is its model's best.
func (m *Module) Invariants(r store.Reader) error {
	var err error
	fail := func(format string, args ...any) bool {
		err = fmt.Errorf(format, args...)
		return false
	}
	p := key("by-exam") // by-exam/<exam 8>/<id 8>
	p = append(p, '/')
	r.Iterate(p, store.PrefixEnd(p), func(k, _ []byte) bool {
		rest := k[len(p):]
		if len(rest) != 17 {
			return fail("zkml: malformed key %q", k)
		}
		exam, id := u64(rest[:8]), u64(rest[9:])
		var a Attestation
		ok, e := store.GetJSON(r, key("attest", store.BE64(id)), &a)
		if e != nil || !ok || a.Exam != exam {
			return fail("zkml: by-exam entry %d/%d without matching attestation", exam, id)
		}
		if c, e := getCircuit(r, exam); e != nil || c == nil || c.Kind != KindExam || a.Claim > c.N {
			return fail("zkml: attestation %d names a bad exam %d", id, exam)
		}
		return true
	})
	if err != nil {
		return err
	}
	np := append(key("binding"), '/') // binding/<circuit 8>/<commitment>
	r.Iterate(np, store.PrefixEnd(np), func(k, v []byte) bool {
		rest := k[len(np):]
		if len(rest) < 10 {
			return fail("zkml: malformed key %q", k)
		}
		var b Binding
		if e := json.Unmarshal(v, &b); e != nil || b.Circuit != u64(rest[:8]) || b.Commitment != string(rest[9:]) {
			return fail("zkml: binding %q does not match its key", k)
		}
		if c, e := getCircuit(r, b.Circuit); e != nil || c == nil || c.Kind != KindInference {
			return fail("zkml: binding of %s names a bad inference key %d", b.Commitment, b.Circuit)
		}
		if r.Get(key("by-model", []byte(b.Commitment), []byte("b"), store.BE64(b.Circuit))) == nil {
			return fail("zkml: binding of %s to key %d is not indexed", b.Commitment, b.Circuit)
		}
		return true
	})
	if err != nil {
		return err
	}
	// claim/<exam 8>/<commitment 66>/<submitter 20>: the claim's best attestation.
	cp := append(key("claim"), '/')
	r.Iterate(cp, store.PrefixEnd(cp), func(k, v []byte) bool {
		rest := k[len(cp):]
		if len(rest) != 8+1+66+1+len(tx.Address{}) || len(v) != 16 {
			return fail("zkml: malformed claim key %q", k)
		}
		exam, commit, who := u64(rest[:8]), string(rest[9:75]), rest[76:]
		var a Attestation
		ok, e := store.GetJSON(r, key("attest", store.BE64(u64(v[8:]))), &a)
		if e != nil || !ok || a.Exam != exam || a.Commitment != commit || !bytes.Equal(a.Attester[:], who) || a.Claim != u64(v) {
			return fail("zkml: claim of %s on exam %d does not match its attestation", commit, exam)
		}
		return true
	})
	if err != nil {
		return err
	}
	// inferred/<circuit 8>/<commitment 66>/<input 66>/<submitter 20>.
	ip := append(key("inferred"), '/')
	r.Iterate(ip, store.PrefixEnd(ip), func(k, v []byte) bool {
		rest := k[len(ip):]
		if len(rest) != 8+1+66+1+66+1+len(tx.Address{}) {
			return fail("zkml: malformed inference claim key %q", k)
		}
		var inf Inference
		ok, e := store.GetJSON(r, key("infer", store.BE64(u64(v))), &inf)
		if e != nil || !ok || inf.Circuit != u64(rest[:8]) || inf.Commitment != string(rest[9:75]) || inf.InputDigest != string(rest[76:142]) || !bytes.Equal(inf.Prover[:], rest[143:]) {
			return fail("zkml: inference claim %q does not match its record", k)
		}
		return true
	})
	if err != nil {
		return err
	}
	// by-circuit/<circuit 8>/<id 8>: the inference list of one key.
	cp = append(key("by-circuit"), '/')
	r.Iterate(cp, store.PrefixEnd(cp), func(k, _ []byte) bool {
		rest := k[len(cp):]
		if len(rest) != 17 {
			return fail("zkml: malformed key %q", k)
		}
		var inf Inference
		ok, e := store.GetJSON(r, key("infer", rest[9:]), &inf)
		if e != nil || !ok || inf.Circuit != u64(rest[:8]) {
			return fail("zkml: by-circuit entry %d/%d without matching inference", u64(rest[:8]), u64(rest[9:]))
		}
		return true
	})
	if err != nil {
		return err
	}
	np = append(key("infer"), '/')
	r.Iterate(np, store.PrefixEnd(np), func(k, v []byte) bool {
		var inf Inference
		if e := json.Unmarshal(v, &inf); e != nil || inf.ID != u64(k[len(np):]) {
			return fail("zkml: inference %q does not match its key", k)
		}
		if r.Get(key("by-circuit", store.BE64(inf.Circuit), store.BE64(inf.ID))) == nil {
			return fail("zkml: inference %d is not in its circuit's list", inf.ID)
		}
		return true
	})
	if err != nil {
		return err
	}
	bp := append(key("board"), '/')
	r.Iterate(bp, store.PrefixEnd(bp), func(k, v []byte) bool {
		rest := k[len(bp):]
		if len(rest) < 18 {
			return fail("zkml: malformed key %q", k)
		}
		exam, claim, commit := u64(rest[:8]), ^u64(rest[9:17]), string(rest[18:])
		best := r.Get(key("best", store.BE64(exam), []byte(commit)))
		if best == nil || u64(best) != claim || !bytes.Equal(best[8:], v) {
			return fail("zkml: leaderboard entry of %s on exam %d is not its best", commit, exam)
		}
		return true
	})
	return err
}
