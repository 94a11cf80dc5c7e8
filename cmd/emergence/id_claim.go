package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/claimer"
	"emergence/personhood/identity"
	"emergence/tx"
)

func init() { idSubcommands = append(idSubcommands, newIDClaimCmd) }

// proveMembership fetches the identity's tree path from the node and proves
// membership for external nullifier ext and signal. It returns the path
// used and the encoded proof and public inputs.
func (g *globals) proveMembership(ctx context.Context, id *identity.Identity, ext, signal fr.Element, provingKey string) (personhood.PathInfo, []byte, claim.PublicInputs, error) {
	var params personhood.Params
	if err := g.query(ctx, personhood.Name, "params", nil, &params); err != nil {
		return personhood.PathInfo{}, nil, claim.PublicInputs{}, err
	}
	var path personhood.PathInfo
	q := url.Values{"commitment": {identity.CommitmentString(id.Commitment())}}
	if err := g.query(ctx, personhood.Name, "path", q, &path); err != nil {
		return path, nil, claim.PublicInputs{}, withHint(err, "an enrolment operator must enrol this identity's commitment first (emergence id show)")
	}
	var file []byte
	if provingKey != "" {
		b, err := os.ReadFile(provingKey)
		if err != nil {
			return path, nil, claim.PublicInputs{}, errorf("pass the claim.pk written by 'emergence personhood setup'", "read proving key: %w", err)
		}
		file = b
	}
	pk, err := claimer.ProvingKey(params, file)
	if err != nil {
		return path, nil, claim.PublicInputs{}, errorf("this network has its own verifying key: pass its proving key with --proving-key", "%w", err)
	}
	logger.Disable()
	start := time.Now()
	fmt.Fprintf(g.stderr, "proving membership (depth %d)... ", params.TreeDepth)
	proof, pub, err := claimer.Prove(params, pk, id, path, ext, signal)
	fmt.Fprintf(g.stderr, "%d ms\n", time.Since(start).Milliseconds())
	if errors.Is(err, claimer.ErrKeyMismatch) {
		return path, nil, claim.PublicInputs{}, errorf("the proving key must match the chain's tree depth and verifying key", "%w", err)
	}
	if err != nil {
		return path, nil, claim.PublicInputs{}, err
	}
	return path, proof, pub, nil
}

// checkGrant refuses, before a proof is made and a fee paid, a claim of an
// epoch that pays no grant (claimer.CheckGrant), with the next epoch as
// the hint.
func (g *globals) checkGrant(ctx context.Context, pool personhood.PoolInfo, e uint64) error {
	err := claimer.CheckGrant(ctx, g.client(), pool, e)
	var ng *claimer.NoGrantError
	if errors.As(err, &ng) {
		return errorf(ng.When(), "%w", err)
	}
	return err
}

func newIDClaimCmd(g *globals) *cobra.Command {
	var f txFlags
	var to, name, provingKey string
	var epoch int64
	cmd := &cobra.Command{
		Use:   "claim --to ADDRESS|KEY [--epoch N] [--from KEY]",
		Short: "Claim this epoch's UBI grant to an address, with a zero-knowledge proof",
		Long: `Prove, without revealing which enrolled commitment is yours, that your
identity is enrolled, and claim the grant of --epoch (default: the current
epoch) to --to. The recipient may be a fresh address with no balance: the
transaction fee is paid from the grant. The proof binds the recipient, so a
copy of it cannot be redirected; one claim per identity per epoch.

The transaction is signed by --from, default --to when --to is a key name.

  emergence keys add fresh --keyring-backend test
  emergence id claim --to fresh --keyring-backend test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return errorf("pass --to ADDRESS or a key name", "no recipient")
			}
			recipient, err := g.addressOrKey(to)
			if err != nil {
				return err
			}
			signerName := f.from
			if signerName == "" {
				if _, perr := tx.ParseAddress(to); perr == nil {
					return errorf("pass --from KEY to sign the claim (the recipient address has no key here)", "no signing key")
				}
				signerName = to
			}
			key, _, err := g.signer(signerName)
			if err != nil {
				return err
			}
			id, err := g.loadIdentity(name)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var pool personhood.PoolInfo
			if err := g.query(ctx, personhood.Name, "pool", nil, &pool); err != nil {
				return err
			}
			e := uint64(epoch)
			if epoch < 0 {
				e = pool.CurrentEpoch
			}
			if err := g.checkGrant(ctx, pool, e); err != nil {
				return err
			}
			signal, err := identity.Signal(recipient[:])
			if err != nil {
				return err
			}
			path, proof, pub, err := g.proveMembership(ctx, id, identity.EpochExternalNullifier(e), signal, provingKey)
			if err != nil {
				return err
			}
			_, err = g.sendAs(cmd, key, &f, personhood.Name+"/claim", personhood.ClaimMsg{Epoch: e, Root: path.Root, NullifierHash: personhood.FieldString(pub.NullifierHash), Recipient: recipient, Proof: hex.EncodeToString(proof)})
			return err
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&to, "to", "", "recipient address or key name")
	cmd.Flags().StringVar(&name, "name", "default", "identity name (emergence id create NAME)")
	cmd.Flags().Int64Var(&epoch, "epoch", -1, "epoch to claim (default: the current one)")
	cmd.Flags().StringVar(&provingKey, "proving-key", "", "claim proving key file (default: the embedded devnet key)")
	return cmd
}

func newPHProveHumanCmd(g *globals) *cobra.Command {
	var f txFlags
	var name, provingKey string
	cmd := &cobra.Command{
		Use:   "prove-human APP --from KEY",
		Short: "Prove the --from account belongs to one unique human, for module APP (e.g. label)",
		Long: `Bind the --from account to your identity for APP with a zero-knowledge proof.
One human can bind one account per app; the proof reveals nothing that links
it to your UBI claims or other apps.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, account, err := g.signer(f.from)
			if err != nil {
				return err
			}
			id, err := g.loadIdentity(name)
			if err != nil {
				return err
			}
			signal, err := identity.Signal(account[:])
			if err != nil {
				return err
			}
			path, proof, pub, err := g.proveMembership(cmd.Context(), id, identity.AppExternalNullifier(args[0]), signal, provingKey)
			if err != nil {
				return err
			}
			_, err = g.sendAs(cmd, key, &f, personhood.Name+"/prove-human", personhood.ProveHumanMsg{App: args[0], Root: path.Root, NullifierHash: personhood.FieldString(pub.NullifierHash), Proof: hex.EncodeToString(proof)})
			return err
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&name, "name", "default", "identity name")
	cmd.Flags().StringVar(&provingKey, "proving-key", "", "claim proving key file (default: the embedded devnet key)")
	return cmd
}
