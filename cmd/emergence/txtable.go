package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"emergence/api"
	"emergence/bank"
	"emergence/label"
	"emergence/label/labeler"
	"emergence/personhood"
	"emergence/subnet"
	"emergence/tx"
	"emergence/zkml"
	"emergence/zkml/circuit"
)

// Flags several table commands share.
var (
	jobFlag     = txArg{name: "job", kind: argJob, usage: "job id (see 'emergence query label jobs')", required: true}
	weightsFlag = txArg{name: "weights", kind: argWeights, usage: "uid:value pairs, e.g. 2:65535,3:32767", required: true}
	netArg      = txArg{name: "NETUID", kind: argNetUID}
	amountArg   = txArg{name: "AMOUNT", kind: argAmount}
)

// revokeGas covers a suspension or revocation of personhood.MaxRevoke
// enrolments.
const revokeGas = personhood.GasSuspend + personhood.MaxRevoke*personhood.GasRevokeEach + 1_000_000

// txTable is every one-message transaction command (see txbuilder.go),
// grouped by module in the order 'emergence tx MODULE --help' lists them
// (cobra sorts them by name).
var txTable = []txSpec{
	{
		module: bank.Name, action: "send", use: "FROM TO AMOUNT",
		short: "Send tokens: FROM is a key name, TO a key name or address, AMOUNT like 1000uemg or 2.5emg",
		example: `  emergence tx bank send alice bob 2.5emg --home /tmp/emg --keyring-backend test
  emergence tx bank send alice emg1... 1000uemg --node 127.0.0.1:8545`,
		args:      []txArg{{name: "FROM"}, {name: "TO", kind: argAddress}, amountArg},
		signerArg: "FROM",
		build: func(in *txInput) (any, error) {
			if in.amount("AMOUNT") == 0 {
				return nil, errorf("send a positive amount", "amount is zero")
			}
			return bank.SendMsg{To: in.addr("TO"), Amount: in.amount("AMOUNT")}, nil
		},
	},

	{
		module: label.Name, action: "stake", use: "AMOUNT --from KEY", short: "Bond stake as a labeler",
		example: "  emergence tx label stake 2emg --from bob --keyring-backend test",
		args:    []txArg{amountArg},
		build:   func(in *txInput) (any, error) { return label.StakeMsg{Amount: in.amount("AMOUNT")}, nil },
	},
	{
		module: label.Name, action: "unstake", use: "AMOUNT --from KEY", short: "Withdraw stake (only what is not at risk in open jobs)",
		example: "  emergence tx label unstake 2emg --from bob --keyring-backend test",
		args:    []txArg{amountArg},
		build:   func(in *txInput) (any, error) { return label.StakeMsg{Amount: in.amount("AMOUNT")}, nil },
	},
	{
		module: label.Name, action: "request", use: "--job ID --from KEY", short: "Ask for an assignment in a job (items are picked from block data)",
		example: "  emergence tx label request --job 1 --from bob --keyring-backend test",
		flags:   []txArg{jobFlag},
		build:   func(in *txInput) (any, error) { return label.JobMsg{Job: in.job("job")}, nil },
	},
	{
		module: label.Name, action: "settle", use: "--job ID --from KEY", short: "Settle a job after its reveal window: aggregate, pay, slash, refund",
		example: "  emergence tx label settle --job 1 --from alice --keyring-backend test",
		flags:   []txArg{jobFlag},
		build:   func(in *txInput) (any, error) { return label.JobMsg{Job: in.job("job")}, nil },
	},
	{
		module: label.Name, action: "expire", use: "--job ID --from KEY", short: "Close a job nobody settled by its expiry height: refund the requester, release the stakes",
		example: "  emergence tx label expire --job 1 --from bob --keyring-backend test",
		flags:   []txArg{jobFlag},
		build:   func(in *txInput) (any, error) { return label.JobMsg{Job: in.job("job")}, nil },
	},
	{
		module: label.Name, action: "reveal", use: "--job ID --from KEY", short: "Reveal the answers committed with 'tx label commit' (after the commit window)",
		flags: []txArg{jobFlag},
		build: func(in *txInput) (any, error) {
			id := in.job("job")
			var sec labeler.AnswerSecret
			if err := labeler.LoadJSON(labeler.SecretPath(in.g.labelDir(), id, in.from), &sec); err != nil {
				return nil, errorf("commit first with 'emergence tx label commit' using the same --home", "%w", err)
			}
			return label.RevealMsg{Job: id, Items: sec.Items, Answers: sec.Answers, Salt: sec.Salt}, nil
		},
	},
	{
		module: label.Name, action: "reveal-gold", use: "--job ID --from KEY [--secret FILE]",
		short: "Reveal a job's hidden gold answers (after the reveal window, before the gold deadline)",
		flags: []txArg{jobFlag, {name: "secret", usage: "gold secret file (default <home>/label/gold-<job>.json)"}},
		build: func(in *txInput) (any, error) {
			id := in.job("job")
			path := in.str("secret")
			if path == "" {
				path = labeler.GoldSecretPath(in.g.labelDir(), id)
			}
			var sec labeler.GoldSecret
			if err := labeler.LoadJSON(path, &sec); err != nil {
				return nil, errorf("pass --secret with the file 'tx label create-job' saved", "%w", err)
			}
			return label.RevealGoldMsg{Job: id, Gold: sec.Gold, Salt: sec.Salt}, nil
		},
	},

	{
		module: subnet.Name, action: "register", use: "NETUID --from KEY [--axon HOST:PORT]",
		short: "Register the signing key as a hotkey (burns the registration price)",
		args:  []txArg{netArg},
		flags: []txArg{{name: "axon", usage: "address where this hotkey serves (miners)"}, {name: "max-burn", kind: argAmount, usage: "refuse to pay more than this, e.g. 5emg"}},
		build: func(in *txInput) (any, error) {
			return subnet.RegisterMsg{NetUID: in.netuid("NETUID"), MaxBurn: in.amount("max-burn"), Axon: in.str("axon")}, nil
		},
	},
	{
		module: subnet.Name, action: "serve", use: "NETUID HOST:PORT --from KEY", short: "Publish the address where a miner serves",
		args: []txArg{netArg, {name: "HOST:PORT"}},
		build: func(in *txInput) (any, error) {
			return subnet.ServeMsg{NetUID: in.netuid("NETUID"), Axon: in.str("HOST:PORT")}, nil
		},
	},
	{
		module: subnet.Name, action: "serve-model", use: "NETUID MODEL --from KEY",
		short: "Declare the attested zkml model this miner serves ('none' withdraws)",
		long: `Records on chain that the signing hotkey's uid on NETUID serves MODEL, a
zkml weight commitment (as in 'emergence query zkml model'). The model must
have an accuracy attestation (subnet/24 otherwise). From then on the model's
provenance ('emergence query provenance model MODEL') names the subnet, the
uid and the miner emission paid to it since. MODEL 'none' withdraws the
declaration; declaring another model starts its earnings from zero.`,
		args: []txArg{netArg, {name: "MODEL"}},
		build: func(in *txInput) (any, error) {
			m := in.str("MODEL")
			if m == "none" {
				m = ""
			}
			return subnet.ServeModelMsg{NetUID: in.netuid("NETUID"), Model: m}, nil
		},
	},
	{
		module: subnet.Name, action: "stake", use: "NETUID HOTKEY AMOUNT --from KEY", short: "Stake on a hotkey of a subnet",
		args:  []txArg{netArg, {name: "HOTKEY", kind: argAddress}, amountArg},
		build: subnetStake,
	},
	{
		module: subnet.Name, action: "unstake", use: "NETUID HOTKEY AMOUNT --from KEY", short: "Withdraw stake from a hotkey",
		args:  []txArg{netArg, {name: "HOTKEY", kind: argAddress}, amountArg},
		build: subnetStake,
	},
	{
		module: subnet.Name, action: "set-weights", use: "NETUID --weights UID:W,... --from KEY",
		short: "Set weights directly (subnets created with --no-commit-reveal)",
		args:  []txArg{netArg}, flags: []txArg{weightsFlag},
		build: func(in *txInput) (any, error) {
			w := in.weights("weights")
			return subnet.WeightsMsg{NetUID: in.netuid("NETUID"), UIDs: w.uids, Values: w.values}, nil
		},
	},
	{
		module: subnet.Name, action: "commit-weights", use: "NETUID --weights UID:W,... --from KEY",
		short: "Commit to weights (hash); reveal them in the next epoch",
		long: `Commits to a weight vector by its hash with a fresh random salt. The weights and
salt are saved under --home/subnet-reveals so that 'reveal-weights NETUID' can
reveal them during the next epoch (the reveal window).`,
		args: []txArg{netArg}, flags: []txArg{weightsFlag},
		build: func(in *txInput) (any, error) {
			net, w := in.netuid("NETUID"), in.weights("weights")
			salt := make([]byte, 16)
			if _, err := rand.Read(salt); err != nil {
				return nil, fmt.Errorf("salt: %w", err)
			}
			p := in.g.revealPath(net, in.from)
			b, err := json.MarshalIndent(pendingReveal{NetUID: net, Hotkey: in.from.String(), UIDs: w.uids, Values: w.values, Salt: hex.EncodeToString(salt)}, "", "  ")
			if err != nil {
				return nil, fmt.Errorf("encode reveal: %w", err)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return nil, failf("check that --home is writable", "save reveal: %w", err)
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				return nil, failf("check that --home is writable", "save reveal: %w", err)
			}
			h := subnet.CommitHash(in.from, net, w.uids, w.values, salt)
			return subnet.CommitMsg{NetUID: net, Hash: hex.EncodeToString(h[:])}, nil
		},
		after: func(in *txInput, _ *api.TxResult) error {
			if in.g.output != "json" {
				fmt.Fprintf(in.g.stderr, "saved weights and salt to %s; reveal with 'emergence tx subnet reveal-weights %d --from %s' in the next epoch\n",
					in.g.revealPath(in.netuid("NETUID"), in.from), in.netuid("NETUID"), in.fromName)
			}
			return nil
		},
	},
	{
		module: subnet.Name, action: "reveal-weights", use: "NETUID --from KEY", short: "Reveal the weights committed in the previous epoch",
		args: []txArg{netArg},
		build: func(in *txInput) (any, error) {
			net := in.netuid("NETUID")
			p := in.g.revealPath(net, in.from)
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, errorf("commit first with 'emergence tx subnet commit-weights'", "no saved commit: %w", err)
			}
			var pr pendingReveal
			if err := json.Unmarshal(b, &pr); err != nil {
				return nil, errorf("commit again", "saved commit %s: %w", p, err)
			}
			return subnet.WeightsMsg{NetUID: net, UIDs: pr.UIDs, Values: pr.Values, Salt: pr.Salt}, nil
		},
		after: func(in *txInput, _ *api.TxResult) error {
			if err := os.Remove(in.g.revealPath(in.netuid("NETUID"), in.from)); err != nil {
				return fmt.Errorf("revealed, but the saved commit stays: %w", err)
			}
			return nil
		},
	},

	{
		module: personhood.Name, action: "register-operator", use: "--device KEY --stake AMOUNT --from KEY",
		short: "Register the --from account as an enrolment operator with a bonded stake",
		long: `Bond --stake from the --from account and register it as an enrolment
operator whose enrolments are signed by the device key --device (a key name in
the keyring, kept on the enrolment device).`,
		flags: []txArg{
			{name: "device", kind: argDevice, usage: "keyring key that signs enrolments (the operator's device key)", required: true},
			{name: "stake", kind: argAmount, usage: "stake to bond, e.g. 100emg", required: true},
		},
		build: func(in *txInput) (any, error) {
			dev := in.device("device").Public().(ed25519.PublicKey)
			return personhood.RegisterMsg{DeviceKey: hex.EncodeToString(dev), Stake: in.amount("stake")}, nil
		},
	},
	{
		module: personhood.Name, action: "suspend-operator", use: "OPERATOR --slash AMOUNT --from GOVERNANCE",
		short: "Suspend an operator and slash its stake to the treasury (governance key only)",
		args:  []txArg{{name: "OPERATOR", kind: argAddress}},
		flags: []txArg{{name: "slash", kind: argAmount, usage: "stake to slash, e.g. 50emg (default none)"}, {name: "reason", usage: "reason, recorded in the event"}},
		long: `Suspend an operator, slash its stake to the treasury and revoke the
identities it enrolled (at most 250 per transaction; send 'tx personhood
revoke' for the rest).`,
		gas: revokeGas,
		build: func(in *txInput) (any, error) {
			return personhood.SuspendMsg{Operator: in.addr("OPERATOR"), Slash: in.amount("slash"), Reason: in.str("reason")}, nil
		},
	},
	{
		module: personhood.Name, action: "revoke", use: "OPERATOR --from GOVERNANCE",
		short: "Revoke the next 250 identities a suspended operator enrolled (governance key only)",
		args:  []txArg{{name: "OPERATOR", kind: argAddress}},
		gas:   revokeGas,
		build: func(in *txInput) (any, error) { return personhood.RevokeMsg{Operator: in.addr("OPERATOR")}, nil },
	},

	{
		module: zkml.Name, action: "register", use: "--keys DIR --from KEY [--name NAME]",
		short: "Register the verifying key of a keys directory (an exam or an inference circuit)",
		long: `Register on chain the verifying key of a keys directory made by 'emergence zkml
setup' or 'zkml ceremony finalize'. An exam circuit registers as an exam
under its exam's name (the key is bound to the exam's name, size and model
shape, so --name is for inference keys); an inference circuit as an
inference key.
The new id is in the tx's zkml/register event.`,
		example: "  emergence tx zkml register --keys keys/ --from alice --keyring-backend test",
		flags:   []txArg{{name: "keys", def: "zkml-keys", usage: "keys directory"}, {name: "name", usage: "a short name for the exam or key"}},
		build: func(in *txInput) (any, error) {
			k, err := circuit.LoadKeys(in.str("keys"))
			if err != nil {
				return nil, errorf("pass --keys DIR from 'zkml setup' or 'zkml ceremony finalize'", "%w", err)
			}
			if k.Info.Kind == circuit.KindExam {
				in.kind = "zkml/register-exam"
				// The exam's name is part of the statement its key proves.
				name := k.Spec.Exam.Name
				if n := in.str("name"); n != "" && n != name {
					return nil, errorf("drop --name: an exam registers under its own name, which its keys are bound to", "--name %q, but the keys' exam is named %q", n, name)
				}
				return zkml.MsgRegisterExam{Name: name, ExamDigest: k.Info.ExamDigest, N: uint64(k.Info.ExamN), ShapeDigest: k.Info.ShapeDigest, VK: k.VK}, nil
			}
			in.kind = "zkml/register-inference"
			return zkml.MsgRegisterInference{Name: in.str("name"), ShapeDigest: k.Info.ShapeDigest, VK: k.VK, LinkVK: k.LinkVK, BindingVK: k.BindingVK}, nil
		},
	},
	{
		module: zkml.Name, action: "attest", use: "--exam ID --proof proof.json --from KEY [--dataset ID|--dataset-root HEX] [--label-job ID] [--train-job ID --model HASH]",
		short: "Submit an accuracy proof for a registered exam",
		long: `Submit an accuracy proof made by 'emergence zkml prove' with exam keys. The
chain verifies it against the exam's registered key and records the model
commitment, the claim K of N, and the provenance references, each checked by
the chain: --dataset or --dataset-root (a registered dataset, by id or Merkle
root), --label-job (a settled labeling job created over that dataset) and
--train-job with --model (a verified compute job and the blob hash of the
model file among its outputs).`,
		example: "  emergence tx zkml attest --exam 1 --proof proof.json --from alice --keyring-backend test",
		flags: []txArg{
			{name: "exam", kind: argUint, usage: "registered exam id (see 'emergence query zkml circuits')", required: true},
			{name: "proof", def: "proof.json", usage: "proof file"},
			{name: "dataset", kind: argUint, usage: "registered dataset the model was trained on (provenance)"},
			{name: "dataset-root", usage: "hex Merkle root of a registered dataset the model was trained on (provenance)"},
			{name: "label-job", kind: argUint, usage: "settled labeling job over the dataset that labeled the training data (provenance)"},
			{name: "train-job", kind: argUint, usage: "verified compute job that trained the model (provenance; with --model)"},
			{name: "model", usage: "blob hash of the model file the training job output (with --train-job)"},
		},
		build: func(in *txInput) (any, error) {
			pf, err := circuit.LoadProof(in.str("proof"))
			if err != nil {
				return nil, errorf("pass a proof file written by 'emergence zkml prove'", "%w", err)
			}
			if pf.Exam == nil {
				return nil, errorf("use 'tx zkml infer' for inference proofs", "%s is not an accuracy proof", in.str("proof"))
			}
			if err := zkmlCheckSubmitter(pf.Exam.Submitter, in.from, "prove", "proof", in.fromName); err != nil {
				return nil, err
			}
			return zkml.MsgAttest{Exam: in.uint("exam"), Commitment: pf.Exam.Commitment, Claim: uint64(pf.Exam.Claim),
				Proof: pf.Proof, DatasetRoot: in.str("dataset-root"), LabelJob: in.uint("label-job"),
				Dataset: in.uint("dataset"), TrainJob: in.uint("train-job"), Model: in.str("model")}, nil
		},
	},
	{
		module: zkml.Name, action: "bind", use: "--circuit ID --binding binding.json --from KEY",
		short: "Bind a model to a registered inference key (once per model and key)",
		long: `Submit a binding made by 'emergence zkml bind'. The chain checks the link
proof against the model commitment and the binding's QA-NIZK, then accepts
inference proofs of the model under this key.`,
		example: "  emergence tx zkml bind --circuit 2 --binding binding.json --from alice --keyring-backend test",
		flags: []txArg{
			{name: "circuit", kind: argUint, usage: "registered inference key id (see 'emergence query zkml circuits')", required: true},
			{name: "binding", def: "binding.json", usage: "binding file"},
		},
		build: func(in *txInput) (any, error) {
			b, err := circuit.LoadBinding(in.str("binding"))
			if err != nil {
				return nil, errorf("pass a binding file written by 'emergence zkml bind'", "%w", err)
			}
			if err := zkmlCheckSubmitter(b.Submitter, in.from, "bind", "binding", in.fromName); err != nil {
				return nil, err
			}
			return zkml.MsgBind{Circuit: in.uint("circuit"), Commitment: b.Commitment, Binding: b.Binding, LinkProof: b.LinkProof, Proof: b.Proof}, nil
		},
	},
	{
		module: zkml.Name, action: "infer", use: "--circuit ID --proof proof.json --from KEY",
		short:   "Submit an inference proof for a registered inference key",
		example: "  emergence tx zkml infer --circuit 2 --proof inference.json --from alice --keyring-backend test",
		flags: []txArg{
			{name: "circuit", kind: argUint, usage: "registered inference key id (see 'emergence query zkml circuits')", required: true},
			{name: "proof", def: "proof.json", usage: "proof file"},
		},
		build: func(in *txInput) (any, error) {
			pf, err := circuit.LoadProof(in.str("proof"))
			if err != nil {
				return nil, errorf("pass a proof file written by 'emergence zkml prove'", "%w", err)
			}
			if pf.Inference == nil {
				return nil, errorf("use 'tx zkml attest' for accuracy proofs", "%s is not an inference proof", in.str("proof"))
			}
			if err := zkmlCheckSubmitter(pf.Inference.Submitter, in.from, "prove", "proof", in.fromName); err != nil {
				return nil, err
			}
			return zkml.MsgInfer{Circuit: in.uint("circuit"), Commitment: pf.Inference.Commitment, InputDigest: pf.Inference.InputDigest,
				Class: uint64(pf.Inference.Class), Proof: pf.Proof}, nil
		},
	},
}

// subnetStake builds subnet stake and unstake messages.
func subnetStake(in *txInput) (any, error) {
	return subnet.StakeMsg{NetUID: in.netuid("NETUID"), Hotkey: in.addr("HOTKEY"), Amount: in.amount("AMOUNT")}, nil
}

// pendingReveal is what commit-weights saves so that reveal-weights can
// send the same weights and salt later.
type pendingReveal struct {
	NetUID uint16   `json:"netuid"`
	Hotkey string   `json:"hotkey"`
	UIDs   []uint16 `json:"uids"`
	Values []uint16 `json:"values"`
	Salt   string   `json:"salt"`
}

// revealPath is where commit-weights saves a pending reveal.
func (g *globals) revealPath(net uint16, hk tx.Address) string {
	return filepath.Join(g.home, "subnet-reveals", fmt.Sprintf("%d-%s.json", net, hk))
}
