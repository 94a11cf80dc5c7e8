package abciapp_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/label"
	"emergence/personhood"
	"emergence/personhood/identity"
	"emergence/subnet"
	"emergence/tx"
	"emergence/zkml"
)

var update = flag.Bool("update", false, "rewrite testdata/transcript.txt from this run")

const transcriptFile = "testdata/transcript.txt"

// TestTranscript replays a fixed sequence of blocks, with transactions of
// every module (successes and failures, ante failures included) and empty
// blocks that run subnet epochs and emission, through the real app composed
// as the node composes it (package chain), and
// compares every block's app hash and tx results with
// testdata/transcript.txt. The file fixes the app-hash format and the
// consensus results: CI runs this test on amd64, 386 and arm64 (.ci/cross-arch),
// which must all agree with it. A deliberate change of consensus rules or of
// the hash regenerates it with
//
//	go test ./abciapp -run TestTranscript -update
//
// The replay runs twice, with one scheduler thread and with several:
// FinalizeBlock decodes and verifies a block's txs on parallel workers, and
// the results must not depend on how many there are.
func TestTranscript(t *testing.T) {
	got := replay(t)
	prev := runtime.GOMAXPROCS(1)
	one := replay(t)
	runtime.GOMAXPROCS(max(prev, 4))
	many := replay(t)
	runtime.GOMAXPROCS(prev)
	if one != got || many != got {
		t.Fatalf("the transcript depends on GOMAXPROCS:\n%s\nwith 1:\n%s\nwith %d:\n%s", got, one, max(prev, 4), many)
	}
	if *update {
		if err := os.WriteFile(transcriptFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(transcriptFile)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s:%d differs (first difference; regenerate with -update only for a deliberate consensus change):\n got: %s\nwant: %s", transcriptFile, i+1, g, w)
		}
	}
}

const emg = 1_000_000

// replay runs the transcript's blocks and returns one line per block:
// height, app hash, then each tx's codespace/code/gas used.
func replay(t *testing.T) string {
	names := []string{"alice", "bob", "carol", "owner", "v1", "v2", "m1", "m2", "orb"}
	bal := map[string]uint64{}
	for _, n := range names {
		bal[n] = 1000 * emg
	}
	c := apptest.Full(t, apptest.Genesis{
		Balances: bal,
		Modules:  map[string]any{"subnet": subnet.Genesis{Params: subnet.Params{CreateCost: 100 * emg, MaxSubnets: 4}}},
		Emission: &bank.Emission{PerBlock: emg, Subnets: 50, UBI: 10, Treasury: 40},
	})

	var out strings.Builder
	fmt.Fprintf(&out, "# block transcript of TestTranscript: height app_hash codespace/code/gas_used per tx\n")
	_, h := c.App.LastCommit()
	fmt.Fprintf(&out, "0 %X\n", h)
	block := func(txs ...[]byte) {
		t.Helper()
		r := c.DeliverBlock(txs)
		fmt.Fprintf(&out, "%d %s", r.Height, r.AppHash)
		for _, x := range r.Txs {
			space := x.Codespace
			if space == "" {
				space = "-"
			}
			fmt.Fprintf(&out, " %s/%d/%d", space, x.Code, x.GasUsed)
		}
		out.WriteString("\n")
	}
	msg := func(kind string, v any) tx.Msg { return c.Msg(kind, v) }

	hyper := subnet.DefaultHyperparams()
	hyper.Tempo, hyper.MaxUIDs, hyper.MaxValidators, hyper.ImmunityPeriod = 3, 4, 2, 100
	hyper.MinBurn, hyper.MaxBurn, hyper.CommitReveal = 1000, emg, false
	manifest := sha256.Sum256([]byte("transcript manifest"))
	gold := []label.GoldItem{{Item: 0, Class: 1}, {Item: 4, Class: 0}}
	goldSalt := sha256.Sum256([]byte("transcript gold salt"))
	gc := label.GoldCommitment(hex.EncodeToString(manifest[:]), gold, goldSalt)
	seed := sha256.Sum256([]byte("transcript device"))
	device := ed25519.NewKeyFromSeed(seed[:])
	id := identity.FromSecret(sha256.Sum256([]byte("transcript identity")))
	enrolSig := ed25519.Sign(device, personhood.EnrolSignBytes(apptest.ChainID, id.Commitment()))
	vk, err := os.ReadFile("../testdata/zkml/tiny-vk.bin")
	if err != nil {
		t.Fatal(err)
	}

	// 1: transfers, a subnet.
	block(
		c.Sign("alice", msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 5 * emg})),
		c.Sign("carol", msg("bank/multisend", bank.MultiSendMsg{Outputs: []bank.Output{{To: apptest.Addr("m1"), Amount: 7}, {To: apptest.Addr("m2"), Amount: 9}}})),
		c.Sign("owner", msg("subnet/create", subnet.CreateMsg{Name: "transcript", Hyper: &hyper})),
	)
	// 2: neurons, a labeling job.
	block(
		c.Sign("v1", msg("subnet/register", subnet.RegisterMsg{NetUID: 0, Axon: "127.0.0.1:9000"})),
		c.Sign("v2", msg("subnet/register", subnet.RegisterMsg{NetUID: 0})),
		c.Sign("m1", msg("subnet/register", subnet.RegisterMsg{NetUID: 0})),
		c.Sign("m2", msg("subnet/register", subnet.RegisterMsg{NetUID: 0})),
		c.Sign("alice", msg("label/create-job", label.CreateJobMsg{
			Manifest: hex.EncodeToString(manifest[:]), Items: 12, Classes: []string{"cat", "dog"}, LabelsPerItem: 2, BatchSize: 6,
			RewardPerLabel: 1000, MinStake: emg, GoldCommitment: hex.EncodeToString(gc[:]), GoldCount: uint32(len(gold)),
			CommitBlocks: 20, RevealBlocks: 10,
		})),
	)
	// 3: stakes, an enrolment operator, an exam key.
	block(
		c.Sign("v1", msg("subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("v1"), Amount: 60 * emg})),
		c.Sign("v2", msg("subnet/stake", subnet.StakeMsg{NetUID: 0, Hotkey: apptest.Addr("v2"), Amount: 40 * emg})),
		c.Sign("bob", msg("label/stake", label.StakeMsg{Amount: 2 * emg})),
		c.Sign("carol", msg("label/stake", label.StakeMsg{Amount: 2 * emg})),
		c.Sign("orb", msg(personhood.Name+"/register-operator", personhood.RegisterMsg{DeviceKey: hex.EncodeToString(device.Public().(ed25519.PublicKey)), Stake: 150 * emg})),
		c.Sign("alice", msg("zkml/register-exam", zkml.MsgRegisterExam{Name: "transcript", ExamDigest: "1", N: 6, ShapeDigest: "2", VK: vk})),
	)
	// 4: assignments (drawn from the block hash), an enrolment.
	block(
		c.Sign("bob", msg("label/request", label.JobMsg{Job: 1})),
		c.Sign("carol", msg("label/request", label.JobMsg{Job: 1})),
		c.Sign("orb", msg(personhood.Name+"/enrol", personhood.EnrolMsg{Operator: apptest.Addr("orb"), Commitment: personhood.FieldString(id.Commitment()), Signature: hex.EncodeToString(enrolSig)})),
	)
	// 5: failures: too poor, no such subnet, a stale nonce (ante), an
	// unknown message, a second enrolment of the same commitment.
	stale, err := tx.Sign(tx.Body{ChainID: apptest.ChainID, Signer: apptest.Addr("alice"), Nonce: 0, Fee: c.App.Params().MinFee(1_000_000), GasLimit: 1_000_000,
		Msgs: []tx.Msg{msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 1})}}, key("alice"))
	if err != nil {
		t.Fatal(err)
	}
	block(
		c.Sign("m1", msg("bank/send", bank.SendMsg{To: apptest.Addr("bob"), Amount: 5000 * emg})),
		c.Sign("m2", msg("subnet/register", subnet.RegisterMsg{NetUID: 9})),
		stale,
		c.Sign("carol", msg("nosuch/thing", struct{}{})),
		c.Sign("orb", msg(personhood.Name+"/enrol", personhood.EnrolMsg{Operator: apptest.Addr("orb"), Commitment: personhood.FieldString(id.Commitment()), Signature: hex.EncodeToString(enrolSig)})),
	)
	// 6 to 8: epochs and emission.
	for i := 0; i < 3; i++ {
		block()
	}
	// 9: weights.
	block(
		c.Sign("v1", msg("subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: []uint16{2, 3}, Values: []uint16{65535, 20000}})),
		c.Sign("v2", msg("subnet/set-weights", subnet.WeightsMsg{NetUID: 0, UIDs: []uint16{2, 3}, Values: []uint16{30000, 65535}})),
	)
	// 10 to 16: epochs pay the miners.
	for i := 0; i < 7; i++ {
		block()
	}
	return out.String()
}

func key(name string) ed25519.PrivateKey { k, _ := apptest.Key(name); return k }
