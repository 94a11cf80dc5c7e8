package zkml

import (
	"encoding/binary"

	"emergence/store"
	"emergence/tx"
)

// Circuit kinds.
const (
	KindExam      = "exam"
	KindInference = "inference"
)

// Circuit is a registered verifying key.
type Circuit struct {
	ID   uint64 `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	// ExamDigest and N identify the exam of an exam circuit.
	ExamDigest string `json:"exam_digest,omitempty"`
	N          uint64 `json:"n,omitempty"`
	// ExamStatement is the public input an exam's proofs must carry:
	// verifier.ExamStatement of its digest, N, shape and name, so a key
	// registered under metadata it was not built for verifies nothing.
	ExamStatement string `json:"exam_statement,omitempty"`
	// ShapeDigest names the model shape the circuit is built for.
	ShapeDigest string `json:"shape_digest"`
	VK          []byte `json:"vk"`
	VKHash      string `json:"vk_hash"`
	// Inference keys only: the link circuit's verifying key and the
	// binding key.
	LinkVK     []byte     `json:"link_vk,omitempty"`
	LinkVKHash string     `json:"link_vk_hash,omitempty"`
	BindingVK  []byte     `json:"binding_vk,omitempty"`
	Registrant tx.Address `json:"registrant"`
	Height     int64      `json:"height"`
}

// Binding records that a model commitment is bound to an inference key:
// the model's inference proofs under that key carry the commitment Binding.
type Binding struct {
	Circuit    uint64     `json:"circuit"`
	Commitment string     `json:"commitment"`
	Binding    []byte     `json:"binding"`
	Binder     tx.Address `json:"binder"`
	Height     int64      `json:"height"`
}

// Attestation is a verified accuracy claim.
type Attestation struct {
	ID         uint64 `json:"id"`
	Exam       uint64 `json:"exam"`
	Commitment string `json:"commitment"`
	Claim      uint64 `json:"claim"`
	N          uint64 `json:"n"`
	// DatasetRoot and LabelJob name the data the model was trained from
	// (filled by the data and label modules' clients; optional).
	DatasetRoot string `json:"dataset_root,omitempty"`
	LabelJob    uint64 `json:"label_job,omitempty"`
	// Dataset is the registered dataset (by id) the model was trained on,
	// TrainJob the compute job that trained it and Model the blob hash of
	// the model file that job output. Each link was checked by the chain.
	Dataset   uint64     `json:"dataset,omitempty"`
	TrainJob  uint64     `json:"train_job,omitempty"`
	Model     string     `json:"model,omitempty"`
	Attester  tx.Address `json:"attester"`
	Height    int64      `json:"height"`
	ProofHash string     `json:"proof_hash"`
}

// Inference is a verified inference claim.
type Inference struct {
	ID          uint64     `json:"id"`
	Circuit     uint64     `json:"circuit"`
	Commitment  string     `json:"commitment"`
	InputDigest string     `json:"input_digest"`
	Class       uint64     `json:"class"`
	Prover      tx.Address `json:"prover"`
	Height      int64      `json:"height"`
	ProofHash   string     `json:"proof_hash"`
}

// Key layout (all under "zkml/"):
//
//	next/<what>                          counters (8-byte big endian)
//	circuit/<id>                         Circuit
//	attest/<id>                          Attestation
//	infer/<id>                           Inference
//	by-model/<commitment>/a/<id>         attestation index
//	by-model/<commitment>/i/<id>         inference index
//	by-model/<commitment>/b/<circuit>    binding index
//	by-circuit/<circuit>/<id>            inference index of an inference key
//	binding/<circuit>/<commitment>       Binding
//	by-exam/<exam id>/<id>               attestation index
//	best/<exam id>/<commitment>          best claim (8 bytes) + attestation id (8 bytes)
//	board/<exam id>/<^claim>/<commitment> attestation id (descending claims)
//	claim/<exam id>/<commitment>/<submitter>  best claim (8 bytes) + attestation id: one claim per (exam, model, submitter)
//	inferred/<circuit>/<commitment>/<input digest>/<submitter>  inference id: one per claim
var prefix = []byte(Name + "/")

// key returns prefix ‖ kind ‖ '/' ‖ parts joined by '/'. Integer parts are
// store.BE64 (fixed width, so ids sort numerically).
func key(kind string, parts ...[]byte) []byte {
	return store.Join(prefix, '/', append([][]byte{[]byte(kind)}, parts...)...)
}

// u64 decodes the first 8 bytes of b (records here hold two integers), 0
// when b is shorter.
func u64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// next returns the next id of a counter and advances it (ids start at 1).
func next(kv store.KV, what string) uint64 {
	k := key("next", []byte(what))
	id := u64(kv.Get(k)) + 1
	store.PutU64(kv, k, id)
	return id
}

func getCircuit(r store.Reader, id uint64) (*Circuit, error) {
	var c Circuit
	ok, err := store.GetJSON(r, key("circuit", store.BE64(id)), &c)
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}
