package abciapp_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/compute"
	"emergence/data"
	"emergence/device"
	"emergence/label"
	"emergence/personhood"
	"emergence/subnet"
	"emergence/tx"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

// seedTx is one valid signed transaction of a module's message, signed by
// a key of its own at nonce 0, so every seed is valid on a fresh chain
// whatever the others do.
type seedTx struct {
	module, signer string
	raw            []byte
}

// seedSigners are the signers of moduleSeeds, funded by seedGenesis.
var seedSigners = []string{"alice", "seed-label", "seed-personhood", "seed-subnet", "seed-zkml", "seed-device", "seed-compute", "seed-data"}

func seedGenesis() apptest.Genesis {
	g := apptest.Genesis{Balances: map[string]uint64{"bob": 1 << 40}}
	for _, s := range seedSigners {
		g.Balances[s] = 1 << 40
	}
	return g
}

// fourPublics is the smallest circuit whose key zkml accepts for an exam:
// four public inputs, one constraint.
type fourPublics struct {
	P [zkml.NumPublics]frontend.Variable `gnark:",public"`
}

func (c *fourPublics) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.P[0], c.P[1]), api.Add(c.P[2], c.P[3]))
	return nil
}

// examKey returns a real Groth16 verifying key with zkml.NumPublics
// public inputs.
func examKey(tb testing.TB) []byte {
	tb.Helper()
	logger.Disable()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &fourPublics{})
	if err != nil {
		tb.Fatal(err)
	}
	_, vk, err := groth16.Setup(ccs)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := circuit.MarshalVK(vk)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// moduleSeeds returns one valid signed tx per module of the full chain,
// signed against c's chain id and params.
func moduleSeeds(tb testing.TB, c *apptest.Chain) []seedTx {
	tb.Helper()
	hash := func(s string) string { return strings.Repeat(s, 64) }
	opKey, _ := apptest.Key("seed-operator-device")
	seeds := []struct {
		module, signer, kind string
		gas                  uint64
		v                    any
	}{
		{"bank", "alice", "bank/send", 1_000_000, bank.SendMsg{To: apptest.Addr("bob"), Amount: 5}},
		{"label", "seed-label", "label/stake", 1_000_000, label.StakeMsg{Amount: 1_000_000}},
		{"personhood", "seed-personhood", personhood.Name + "/register-operator", 1_000_000,
			personhood.RegisterMsg{DeviceKey: hex.EncodeToString(opKey.Public().(ed25519.PublicKey)), Stake: 100_000_000}},
		{"subnet", "seed-subnet", "subnet/create", 1_000_000, subnet.CreateMsg{Name: "seed"}},
		{"zkml", "seed-zkml", "zkml/register-exam", 20_000_000, zkml.MsgRegisterExam{Name: "seed", ExamDigest: model.HexElement(big.NewInt(7)), N: 4,
			ShapeDigest: model.HexElement(big.NewInt(11)), VK: examKey(tb)}},
		{"device", "seed-device", device.MsgRegisterMaker, 1_000_000, device.RegisterMaker{Name: "seed", Stake: 1_000_000}},
		{"compute", "seed-compute", compute.MsgSubmitJob, 1_000_000, compute.SubmitJob{Wasm: hash("a"), Inputs: []string{hash("b")},
			MemMiB: 16, WallMs: 1000, R: 1, PriceCap: 10, Budget: 1_000_000}},
		{"data", "seed-data", data.MsgRegisterCrawler, 1_000_000, data.RegisterCrawler{Stake: 1_000_000}},
	}
	out := make([]seedTx, 0, len(seeds))
	for _, s := range seeds {
		out = append(out, seedTx{module: s.module, signer: s.signer, raw: c.SignWith(s.signer, s.gas, c.Msg(s.kind, s.v))})
	}
	return out
}

// TestFuzzSeedsCoverModules holds FuzzCheckTx's corpus to the composed
// chain: every module of chain.Modules() has a seed, and each seed passes
// CheckTx and executes with code 0, so the fuzzer starts from a valid
// message of every module (a new module without a seed fails here).
func TestFuzzSeedsCoverModules(t *testing.T) {
	c := apptest.Full(t, seedGenesis())
	seeds := moduleSeeds(t, c)
	for _, m := range c.App.Modules() {
		var found *seedTx
		for i := range seeds {
			if seeds[i].module == m.Name() {
				found = &seeds[i]
				break
			}
		}
		if found == nil {
			t.Errorf("module %s has no FuzzCheckTx seed: add a valid signed tx of one of its messages to moduleSeeds", m.Name())
			continue
		}
		d, err := tx.Decode(found.raw)
		if err != nil {
			t.Fatalf("%s seed: %v", m.Name(), err)
		}
		for _, msg := range d.Body.Msgs {
			if !strings.HasPrefix(msg.Type, m.Name()+"/") {
				t.Errorf("%s seed carries %s, not a message of the module", m.Name(), msg.Type)
			}
		}
		if r := c.Check(found.raw); r.Code != 0 {
			t.Errorf("%s seed refused by CheckTx: %s/%d %s", m.Name(), r.Codespace, r.Code, r.Log)
			continue
		}
		if res := c.Deliver(found.raw); res[0].Code != 0 {
			t.Errorf("%s seed failed in the block: %s/%d %s", m.Name(), res[0].Codespace, res[0].Code, res[0].Log)
		}
	}
	for _, s := range seeds {
		if _, ok := c.App.Module(s.module); !ok {
			t.Errorf("seed of %s names a module the chain does not compose", s.module)
		}
	}
}

// FuzzCheckTx feeds arbitrary bytes to transaction decoding and to CheckTx
// and FinalizeBlock of the full chain: they must never panic, every
// rejection must carry a result code, and the invariants must hold
// afterwards (apptest checks them after every block). The corpus starts
// from a valid tx of every module (see TestFuzzSeedsCoverModules).
func FuzzCheckTx(f *testing.F) {
	c := apptest.Full(f, seedGenesis())
	seeds := moduleSeeds(f, c)
	for _, s := range seeds {
		f.Add(s.raw)
	}
	good := seeds[0].raw
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add(good[:len(good)-1])
	key, alice := apptest.Key("alice")
	multi, _ := tx.NewMsg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("bob"), Amount: 1}}})
	m2, _ := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: alice, Nonce: 1, Fee: 10_000, GasLimit: 1_000_000, Msgs: []tx.Msg{multi, {Type: "x/y", Value: json.RawMessage(`null`)}}}, key)
	f.Add(m2)
	f.Fuzz(func(t *testing.T, raw []byte) {
		c.Use(t)
		if d, err := tx.Decode(raw); err == nil {
			_ = d.Verify()
		}
		r, err := c.App.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil {
			t.Fatalf("CheckTx returned a node error: %v", err)
		}
		if r.Code != 0 && r.Log == "" {
			t.Fatalf("rejection without a message: %+v", r)
		}
		if r.Code != 0 {
			return // rejected before the mempool: never reaches a block
		}
		res := c.Deliver(raw)
		if res[0].Code != 0 && (res[0].Codespace == "" || res[0].Log == "") {
			t.Fatalf("failed tx without code space or log: %+v", res[0])
		}
	})
}
