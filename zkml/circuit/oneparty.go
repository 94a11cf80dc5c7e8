package circuit

import "time"

// SetupOnePartyKeys runs the one-party setup of spec's circuit and writes
// its keys to dir, marked with SetupOnePartyNote: for an inference circuit
// the inference, link and binding keys (SetupInferenceOneParty), for an
// exam circuit its Groth16 keys. step, when not nil, hears of each stage,
// with the time since the start once the circuit is compiled. Devnets and
// tests only: whoever runs it can forge proofs.
func SetupOnePartyKeys(dir string, spec Spec, step func(format string, args ...any)) (*KeysInfo, error) {
	if step == nil {
		step = func(string, ...any) {}
	}
	start := time.Now()
	if spec.Kind == KindInference {
		step("compiling the inference and link circuits and running three setups (inference, link, binding)...")
		step("the link circuit opens the model's MiMC commitment and is far larger than the inference circuit")
		params := 0
		for _, l := range spec.Shape.Layers {
			params += l.In*l.Out + l.Out
		}
		// The link circuit grows with the model's parameters: 565,041
		// constraints for the 44,530 of 784-56-10.
		step("(this model has %d parameters; 784-56-10 has 44,530, whose link circuit is 565,041 constraints,", params)
		step("minutes and about 2.6 GiB); it is set up once per inference key")
		set, err := SetupInferenceOneParty(spec.Shape)
		if err != nil {
			return nil, err
		}
		return WriteInferenceKeys(dir, spec.Shape, set, SetupOnePartyNote)
	}
	step("compiling %s circuit...", spec.Kind)
	ccs, err := spec.Compile()
	if err != nil {
		return nil, err
	}
	step("%d constraints (%s); running setup...", ccs.GetNbConstraints(), time.Since(start).Round(time.Millisecond))
	pk, vk, err := SetupOneParty(ccs)
	if err != nil {
		return nil, err
	}
	return WriteKeys(dir, spec, ccs.GetNbConstraints(), pk, vk, SetupOnePartyNote)
}
