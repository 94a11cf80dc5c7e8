package zkml

import "emergence/app"

// Name is the module's name: codespace, genesis key, query route and the
// prefix of its messages and state keys.
const Name = "zkml"

// Result codes of the zkml module. Append only.
var (
	CodeExamNotFound    = app.Code{Space: Name, Num: 1, Desc: "exam not registered"}
	CodeMalformedProof  = app.Code{Space: Name, Num: 2, Desc: "malformed proof"}
	CodeInvalidProof    = app.Code{Space: Name, Num: 3, Desc: "proof does not verify"}
	CodeMalformedKey    = app.Code{Space: Name, Num: 4, Desc: "malformed verifying key"}
	CodeKeyTooLarge     = app.Code{Space: Name, Num: 5, Desc: "verifying key too large"}
	CodeBadPublicInput  = app.Code{Space: Name, Num: 6, Desc: "bad public input"}
	CodeWrongCircuit    = app.Code{Space: Name, Num: 7, Desc: "wrong circuit kind"}
	CodeDuplicateProof  = app.Code{Space: Name, Num: 8, Desc: "proof already submitted"}
	CodeBadField        = app.Code{Space: Name, Num: 9, Desc: "bad message field"}
	CodeCircuitNotFound = app.Code{Space: Name, Num: 10, Desc: "circuit not registered"}
	CodeNotBound        = app.Code{Space: Name, Num: 11, Desc: "model not bound to the inference key"}
	CodeInvalidBinding  = app.Code{Space: Name, Num: 12, Desc: "binding does not verify"}
	CodeAlreadyBound    = app.Code{Space: Name, Num: 13, Desc: "model already bound to the inference key"}
	// CodeDuplicateClaim replaces CodeDuplicateProof (no longer returned):
	// duplicates are found on the claim, not on proof bytes.
	CodeDuplicateClaim = app.Code{Space: Name, Num: 14, Desc: "claim already recorded"}
	// Provenance links of an attestation (dataset, labeling job, training
	// job), each checked against the module that records it.
	CodeDatasetNotFound    = app.Code{Space: Name, Num: 15, Desc: "dataset not registered"}
	CodeLabelJobNotFound   = app.Code{Space: Name, Num: 16, Desc: "labeling job not found"}
	CodeLabelJobUnsettled  = app.Code{Space: Name, Num: 17, Desc: "labeling job has not settled"}
	CodeLabelJobDataset    = app.Code{Space: Name, Num: 18, Desc: "labeling job was not created over the named dataset"}
	CodeTrainJobUnverified = app.Code{Space: Name, Num: 19, Desc: "training job has no verified result"}
	CodeNotJobOutput       = app.Code{Space: Name, Num: 20, Desc: "model is not the training job's output"}
	CodeLinksDisabled      = app.Code{Space: Name, Num: 21, Desc: "provenance links are not available on this chain"}
	CodeModelNotFound      = app.Code{Space: Name, Num: 22, Desc: "model has no attestations"}
)

// Codes implements app.Module: the module's result codes in number order.
func (m *Module) Codes() []app.Code {
	return []app.Code{
		CodeExamNotFound,
		CodeMalformedProof,
		CodeInvalidProof,
		CodeMalformedKey,
		CodeKeyTooLarge,
		CodeBadPublicInput,
		CodeWrongCircuit,
		CodeDuplicateProof,
		CodeBadField,
		CodeCircuitNotFound,
		CodeNotBound,
		CodeInvalidBinding,
		CodeAlreadyBound,
		CodeDuplicateClaim,
		CodeDatasetNotFound,
		CodeLabelJobNotFound,
		CodeLabelJobUnsettled,
		CodeLabelJobDataset,
		CodeTrainJobUnverified,
		CodeNotJobOutput,
		CodeLinksDisabled,
		CodeModelNotFound,
	}
}
