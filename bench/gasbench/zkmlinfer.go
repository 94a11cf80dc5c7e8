package gasbench

import (
	"sync"

	"emergence/app/apptest"
	"emergence/zkml"
	"emergence/zkml/circuit"
	"emergence/zkml/model"
)

// inferFixture is a real inference key set (one-party setup) for a small
// logistic regression, a model bound to it and one inference proof, built
// once: the inference key has two commitments, the link key one.
type inferFixture struct {
	vk, linkVK, bindingVK []byte
	shape                 string
	m                     *model.Model
	e, link, pi           []byte
	proof                 []byte
	input                 string
	class                 uint64
}

var (
	inferOnce sync.Once
	inferFix  inferFixture
	inferErr  error
)

func zkmlInferFixture() inferFixture {
	inferOnce.Do(func() { inferFix, inferErr = buildInferFixture() })
	if inferErr != nil {
		fail("zkml inference fixture: %v", inferErr)
	}
	return inferFix
}

func buildInferFixture() (inferFixture, error) {
	var f inferFixture
	f.m = &model.Model{
		Format: model.ModelFormat, Version: model.ModelVersion, Kind: model.KindLogReg, InputMax: 7, Classes: 3, InputBits: 3,
		Layers: []model.Layer{{LayerShape: model.LayerShape{In: 2, Out: 3, WeightBits: 4, BiasBits: 4},
			Weights: [][]int64{{2, -1}, {-1, 3}, {1, 1}}, Bias: []int64{0, -2, 1}}},
	}
	if err := f.m.Seal(model.SaltFromBytes([]byte("gasbench"))); err != nil {
		return f, err
	}
	set, err := circuit.SetupInferenceOneParty(f.m.Shape())
	if err != nil {
		return f, err
	}
	if f.vk, err = circuit.MarshalVK(set.VK); err != nil {
		return f, err
	}
	if f.linkVK, err = circuit.MarshalVK(set.LinkVK); err != nil {
		return f, err
	}
	f.bindingVK = set.BindingVK.Bytes()
	f.shape = model.HexElement(model.ShapeDigest(f.m.Shape()))
	alice := apptest.Addr("alice")
	sub := circuit.SubmitterElement(alice[:])
	if f.e, f.link, f.pi, err = circuit.BindParts(set.LinkCCS, set.LinkPK, set.PK, set.Binding, f.m, sub); err != nil {
		return f, err
	}
	p, pub, err := circuit.ProveInference(set.CCS, set.PK, f.m, []int64{2, 6}, sub)
	if err != nil {
		return f, err
	}
	if f.proof, err = circuit.MarshalProof(p); err != nil {
		return f, err
	}
	f.input, f.class = pub.InputDigest, uint64(pub.Class)
	return f, nil
}

func (f inferFixture) register(c *apptest.Chain) []byte {
	return c.SignWith("alice", 20_000_000, c.Msg("zkml/register-inference", zkml.MsgRegisterInference{Name: "gasbench", ShapeDigest: f.shape,
		VK: f.vk, LinkVK: f.linkVK, BindingVK: f.bindingVK}))
}

func (f inferFixture) bind(c *apptest.Chain) []byte {
	return c.SignWith("alice", 20_000_000, c.Msg("zkml/bind", zkml.MsgBind{Circuit: 1, Commitment: f.m.Commitment, Binding: f.e, LinkProof: f.link, Proof: f.pi}))
}

// zkmlInferCases: registering an inference key (three keys decoded and
// checked), binding a model to it and an inference proof, each on a cold
// key cache (registration caches nothing; bind decodes only the link key).
func zkmlInferCases(int) []Case {
	g := apptest.Genesis{Balances: map[string]uint64{"alice": 100_000_000}}
	return []Case{
		{
			Kind: "zkml/register-inference", Shape: "inference, link and binding keys of a 2-3 model", Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte { return [][]byte{zkmlInferFixture().register(c)} },
		},
		{
			Kind: "zkml/bind", Shape: "link proof and QA-NIZK, link key cache cold", Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				f := zkmlInferFixture()
				deliverAll(c, [][]byte{f.register(c)})
				return [][]byte{f.bind(c)}
			},
		},
		{
			Kind: "zkml/infer", Shape: "a 2-commitment proof, key cache cold", Genesis: g,
			Prepare: func(c *apptest.Chain) [][]byte {
				f := zkmlInferFixture()
				deliverAll(c, [][]byte{f.register(c), f.bind(c)})
				return [][]byte{c.SignWith("alice", 20_000_000, c.Msg("zkml/infer", zkml.MsgInfer{Circuit: 1, Commitment: f.m.Commitment,
					InputDigest: f.input, Class: f.class, Proof: f.proof}))}
			},
		},
	}
}
