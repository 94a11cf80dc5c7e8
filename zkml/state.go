package zkml

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"emergence/app"
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
	DatasetRoot string     `json:"dataset_root,omitempty"`
	LabelJob    uint64     `json:"label_job,omitempty"`
	Attester    tx.Address `json:"attester"`
	Height      int64      `json:"height"`
	ProofHash   string     `json:"proof_hash"`
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
//	binding/<circuit>/<commitment>       Binding
//	by-exam/<exam id>/<id>               attestation index
//	best/<exam id>/<commitment>          best claim (8 bytes) + attestation id (8 bytes)
//	board/<exam id>/<^claim>/<commitment> attestation id (descending claims)
//	claim/<exam id>/<commitment>/<submitter>  best claim (8 bytes) + attestation id: one claim per (exam, model, submitter)
//	inferred/<circuit>/<commitment>/<input digest>/<submitter>  inference id: one per claim
var prefix = []byte(Name + "/")

func key(parts ...any) []byte {
	k := append([]byte(nil), prefix...)
	for i, p := range parts {
		if i > 0 {
			k = append(k, '/')
		}
		switch v := p.(type) {
		case string:
			k = append(k, v...)
		case []byte:
			k = append(k, v...)
		case uint64:
			k = binary.BigEndian.AppendUint64(k, v)
		default:
			panic(fmt.Sprintf("zkml key part of type %T", p))
		}
	}
	return k
}

func u64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func be(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// next returns the next id of a counter and advances it (ids start at 1).
func next(kv store.KV, what string) uint64 {
	k := key("next", what)
	id := u64(kv.Get(k)) + 1
	kv.Set(k, be(id))
	return id
}

func getJSON(r store.Reader, k []byte, v any) (bool, error) {
	b := r.Get(k)
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decode %q: %w", k, err)
	}
	return true, nil
}

func getCircuit(r store.Reader, id uint64) (*Circuit, error) {
	var c Circuit
	ok, err := getJSON(r, key("circuit", id), &c)
	if err != nil || !ok {
		return nil, err
	}
	return &c, nil
}

func putJSON(kv store.KV, k []byte, v any) { kv.Set(k, app.MustJSON(v)) }
