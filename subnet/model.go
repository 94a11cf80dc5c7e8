package subnet

import (
	"encoding/json"
	"fmt"
	"net/url"

	"emergence/app"
	"emergence/store"
)

// Models is what the subnet module reads of zkml: whether a model
// commitment has an accuracy attestation, and the commitment in the form
// the chain keys models by. The error is for a malformed commitment.
type Models interface {
	Attested(r store.Reader, commitment string) (canonical string, attested bool, err error)
}

// WithModels lets miners declare the zkml model they serve
// (subnet/serve-model), each checked against z.
func (m *Module) WithModels(z Models) *Module { m.models = z; return m }

// GasServeModel pays for declaring a served model: the attestation index
// read (an iterator over its by-model index), the neuron record and the
// two index writes: measured at 45 ns/gas when it was 10,000 (bench gas,
// load 18), so 40,000.
const GasServeModel = 40_000

// MaxServing bounds the uids one "serving" answer (and a model's
// provenance) lists.
const MaxServing = 32

// ServeModelMsg is "subnet/serve-model": the signer's hotkey on NetUID
// declares that it serves Model, a zkml weight commitment with at least
// one accuracy attestation. An empty Model withdraws the declaration.
// Declaring another model starts its earnings from zero; declaring the
// same one again changes nothing.
type ServeModelMsg struct {
	NetUID uint16 `json:"netuid"`
	Model  string `json:"model"`
}

func (m *Module) handleServeModel(ctx *app.Context, raw json.RawMessage) error {
	var msg ServeModelMsg
	if err := app.DecodeMsg(raw, &msg); err != nil {
		return err
	}
	if m.models == nil {
		return CodeModelsUnavailable.Errorf("this chain has no zkml module to check models against")
	}
	model := ""
	if msg.Model != "" {
		c, ok, err := m.models.Attested(ctx.KV, msg.Model)
		if err != nil {
			return CodeInvalidModel.Errorf("%v", err)
		}
		if !ok {
			return CodeModelNotAttested.Errorf("model %s has no accuracy attestation: attest it first with 'emergence tx zkml attest'", c)
		}
		model = c
	}
	n, err := m.signerNeuron(ctx, msg.NetUID)
	if err != nil {
		return err
	}
	if n.Model == model {
		return nil
	}
	if n.Model != "" {
		ctx.KV.Delete(modelKey(n.Model, msg.NetUID, n.UID))
	}
	n.Model, n.ModelSince, n.ModelEarned = model, 0, 0
	if model != "" {
		n.ModelSince = ctx.Height
		ctx.KV.Set(modelKey(model, msg.NetUID, n.UID), pruneMark)
	}
	saveNeuron(ctx.KV, msg.NetUID, n)
	ctx.Emit("subnet-serve-model", "netuid", fmt.Sprint(msg.NetUID), "uid", fmt.Sprint(n.UID), "hotkey", n.Hotkey.String(), "model", model)
	return nil
}

// ServingUID is one uid serving a model: where, who, since when, what it
// earned as a miner since, and its standing in the last epoch.
type ServingUID struct {
	NetUID    uint16 `json:"netuid"`
	Subnet    string `json:"subnet"`
	UID       uint16 `json:"uid"`
	Hotkey    string `json:"hotkey"`
	Axon      string `json:"axon,omitempty"`
	Since     int64  `json:"since"`
	Earned    uint64 `json:"earned"`
	Incentive uint16 `json:"incentive"`
	Emission  uint64 `json:"emission"`
}

// ModelServing is the answer to "serving/<commitment>" and the subnet part
// of a model's provenance: at most MaxServing uids in (netuid, uid) order.
type ModelServing struct {
	Model string       `json:"model"`
	UIDs  []ServingUID `json:"uids"`
	More  bool         `json:"more,omitempty"`
}

// serving reads the uids serving the canonical commitment c.
func serving(r store.Reader, c string) (ModelServing, error) {
	out := ModelServing{Model: c, UIDs: []ServingUID{}}
	pre := store.Key(prefixModel, []byte(c))
	var bad error
	// Entries come in netuid order: each subnet's name is read once.
	lastNet, name := -1, ""
	r.Iterate(pre, store.PrefixEnd(pre), func(k, _ []byte) bool {
		if len(out.UIDs) == MaxServing {
			out.More = true
			return false
		}
		if len(k) != len(pre)+4 {
			bad = fmt.Errorf("malformed model index key %q", k)
			return false
		}
		net, uid := uint16(k[len(pre)])<<8|uint16(k[len(pre)+1]), uint16(k[len(pre)+2])<<8|uint16(k[len(pre)+3])
		n, err := loadNeuron(r, net, uid)
		if err != nil {
			bad = err
			return false
		}
		if int(net) != lastNet {
			s, err := loadSubnet(r, net)
			if err != nil {
				bad = err
				return false
			}
			lastNet, name = int(net), s.Name
		}
		out.UIDs = append(out.UIDs, ServingUID{NetUID: net, Subnet: name, UID: uid, Hotkey: n.Hotkey.String(), Axon: n.Axon,
			Since: n.ModelSince, Earned: n.ModelEarned, Incentive: n.Incentive, Emission: n.Emission})
		return true
	})
	return out, bad
}

// Serving implements zkml.Serving: the uids serving a model, for its
// provenance.
func (m *Module) Serving(r store.Reader, commitment string) (any, bool) {
	s, err := serving(r, commitment)
	if err != nil || len(s.UIDs) == 0 {
		return nil, false
	}
	return s, true
}

func (m *Module) queryServing(r store.Reader, args []string, _ url.Values) (any, error) {
	c := args[0]
	if m.models != nil {
		var err error
		if c, _, err = m.models.Attested(r, args[0]); err != nil {
			return nil, app.CodeBadQuery.Errorf("model: %v", err)
		}
	}
	return serving(r, c)
}

// modelInvariants checks the model index against the neurons: every
// neuron that declares a model is indexed under it, and every index entry
// names a neuron that declares that model.
func modelInvariants(r store.Reader, subnets []*Subnet) error {
	declared := 0
	for _, s := range subnets {
		for uid := uint16(0); uid < s.N; uid++ {
			n, err := loadNeuron(r, s.NetUID, uid)
			if err != nil {
				return err
			}
			if n.Model == "" {
				if n.ModelSince != 0 || n.ModelEarned != 0 {
					return fmt.Errorf("subnet %d uid %d: model earnings without a model", s.NetUID, uid)
				}
				continue
			}
			if r.Get(modelKey(n.Model, s.NetUID, uid)) == nil {
				return fmt.Errorf("subnet %d uid %d: model %s missing from the model index", s.NetUID, uid, n.Model)
			}
			declared++
		}
	}
	indexed := 0
	r.Iterate(prefixModel, store.PrefixEnd(prefixModel), func(_, _ []byte) bool {
		indexed++
		return true
	})
	if indexed != declared {
		return fmt.Errorf("model index holds %d entries for %d declaring uids", indexed, declared)
	}
	return nil
}
