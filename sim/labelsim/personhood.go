package labelsim

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sync"

	"github.com/consensys/gnark/logger"

	"emergence/client"
	"emergence/label"
	"emergence/personhood"
	"emergence/personhood/claimer"
	"emergence/personhood/identity"
	"emergence/tx"
)

// provePersonhood gives every operator one human identity and has every
// account try to prove it for the label app, as a personhood-gated job
// requires. The requester is the enrolment operator: its device key signs
// one commitment per operator (an honest labeler is its own operator; a
// spamming operator's accounts, and all the colluders, share one). Each
// account proves membership with its own zero-knowledge proof; the first
// account of an identity is bound, and the chain refuses the others
// (personhood/22), as it refuses a sybil farm's. It returns the accounts
// bound and refused.
func (e *env) provePersonhood(ctx context.Context) (bound, refused int, err error) {
	st, err := e.cl.Status(ctx)
	if err != nil {
		return 0, 0, err
	}
	devSeed := sha256.Sum256([]byte(fmt.Sprintf("labelsim/%d/device", e.cfg.Seed)))
	dev := ed25519.NewKeyFromSeed(devSeed[:])
	op := tx.AddressFromPubKey(e.reqKey.Public().(ed25519.PublicKey))
	var reg personhood.Operator
	if err := e.cl.Query(ctx, personhood.Name, "operator/"+op.String(), nil, &reg); err != nil {
		// Not yet an operator (a baseline run on a shared network is).
		if _, err := send(ctx, e.cl, e.reqKey, txGas, personhood.Name+"/register-operator", personhood.RegisterMsg{
			DeviceKey: hex.EncodeToString(dev.Public().(ed25519.PublicKey)), Stake: personhood.DefaultParams().MinOperatorStake}); err != nil {
			return 0, 0, fmt.Errorf("register the enrolment operator: %w", err)
		}
	}
	ids := map[string]*identity.Identity{}
	all := personhood.EnrolBatchMsg{Operator: op}
	idOf := func(a *agent) *identity.Identity {
		k := fmt.Sprintf("%s/%d", a.group, a.operator)
		if a.group == GroupHonest {
			k = a.name
		}
		if id, ok := ids[k]; ok {
			return id
		}
		ids[k] = identity.FromSecret(sha256.Sum256([]byte(fmt.Sprintf("labelsim/%d/identity/%s", e.cfg.Seed, k))))
		c := ids[k].Commitment()
		all.Commitments = append(all.Commitments, identity.CommitmentString(c))
		all.Signatures = append(all.Signatures, hex.EncodeToString(ed25519.Sign(dev, personhood.EnrolSignBytes(st.ChainID, c))))
		return ids[k]
	}
	who := make([]*identity.Identity, len(e.agents))
	for i, a := range e.agents {
		who[i] = idOf(a)
	}
	// One enrol-batch of every commitment.
	gas := uint64(personhood.GasEnrol + personhood.GasEnrolEach*len(all.Commitments) + 2_000_000)
	if _, err := send(ctx, e.cl, e.reqKey, gas, personhood.Name+"/enrol-batch", all); err != nil {
		return 0, 0, fmt.Errorf("enrol %d identities: %w", len(all.Commitments), err)
	}
	var params personhood.Params
	if err := e.cl.Query(ctx, personhood.Name, "params", nil, &params); err != nil {
		return 0, 0, err
	}
	logger.Disable() // gnark's per-proof debug lines
	pk, err := claimer.ProvingKey(params, nil)
	if err != nil {
		return 0, 0, err
	}
	ext := identity.AppExternalNullifier(label.PersonhoodApp)
	// Proofs are CPU work: two at a time.
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(e.agents))
	for i, a := range e.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var path personhood.PathInfo
			q := url.Values{"commitment": {identity.CommitmentString(who[i].Commitment())}}
			if err := e.cl.Query(ctx, personhood.Name, "path", q, &path); err != nil {
				errs[i] = fmt.Errorf("%s: path: %w", a.name, err)
				return
			}
			signal, err := identity.Signal(a.addr[:])
			if err != nil {
				errs[i] = err
				return
			}
			sem <- struct{}{}
			proof, pub, err := claimer.Prove(params, pk, who[i], path, ext, signal)
			<-sem
			if err != nil {
				errs[i] = fmt.Errorf("%s: prove: %w", a.name, err)
				return
			}
			m, err := tx.NewMsg(personhood.Name+"/prove-human", personhood.ProveHumanMsg{App: label.PersonhoodApp, Root: path.Root,
				NullifierHash: personhood.FieldString(pub.NullifierHash), Proof: hex.EncodeToString(proof)})
			if err != nil {
				errs[i] = err
				return
			}
			a.txs++
			r, err := e.cl.SignAndBroadcast(ctx, a.key, client.TxOptions{GasLimit: txGas}, m)
			if err != nil {
				errs[i] = fmt.Errorf("%s: prove-human: %w", a.name, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case r.Code == 0:
				a.human = true
				bound++
			case r.Codespace == personhood.Name && r.Code == personhood.CodeHumanAlreadyBound.Num:
				refused++
			default:
				errs[i] = fmt.Errorf("%s: prove-human: code %s/%d: %s", a.name, r.Codespace, r.Code, r.Log)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return bound, refused, err
		}
	}
	return bound, refused, nil
}
