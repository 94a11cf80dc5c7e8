package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"emergence/personhood"
	"emergence/personhood/claimer"
	"emergence/personhood/identity"
	"emergence/tx"
)

func init() { idSubcommands = append(idSubcommands, newIDClaimCmd) }

// proveMembership runs claimer.ProveMembership with the proving key file
// (empty: the embedded devnet key) and a hint for each of its errors.
func (g *globals) proveMembership(ctx context.Context, id *identity.Identity, ext, signal fr.Element, provingKey string) (*claimer.Membership, error) {
	var file []byte
	if provingKey != "" {
		b, err := os.ReadFile(provingKey)
		if err != nil {
			return nil, errorf("pass the claim.pk written by 'emergence personhood setup'", "read proving key: %w", err)
		}
		file = b
	}
	logger.Disable()
	m, err := claimer.ProveMembership(ctx, g.client(), id, ext, signal, file, func(format string, args ...any) {
		fmt.Fprintf(g.stderr, format+"\n", args...)
	})
	switch {
	case err == nil:
		return m, nil
	case errors.Is(err, claimer.ErrNotEnrolled):
		return nil, errorf("an enrolment operator must enrol this identity's commitment first (emergence id show)", "%w", err)
	case errors.Is(err, claimer.ErrNotDevnetKeys):
		return nil, errorf("this network has its own verifying key: pass its proving key with --proving-key", "%w", err)
	case errors.Is(err, claimer.ErrKeyMismatch):
		return nil, errorf("the proving key must match the chain's tree depth and verifying key", "%w", err)
	case nodeFailure(err):
		return nil, g.nodeError(err)
	}
	return nil, err
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
			mp, err := g.proveMembership(ctx, id, identity.EpochExternalNullifier(e), signal, provingKey)
			if err != nil {
				return err
			}
			_, err = g.sendAs(cmd, key, &f, personhood.Name+"/claim", personhood.ClaimMsg{Epoch: e, Root: mp.Path.Root, NullifierHash: personhood.FieldString(mp.Public.NullifierHash), Recipient: recipient, Proof: hex.EncodeToString(mp.Proof)})
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
			mp, err := g.proveMembership(cmd.Context(), id, identity.AppExternalNullifier(args[0]), signal, provingKey)
			if err != nil {
				return err
			}
			_, err = g.sendAs(cmd, key, &f, personhood.Name+"/prove-human", personhood.ProveHumanMsg{App: args[0], Root: mp.Path.Root, NullifierHash: personhood.FieldString(mp.Public.NullifierHash), Proof: hex.EncodeToString(mp.Proof)})
			return err
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&name, "name", "default", "identity name")
	cmd.Flags().StringVar(&provingKey, "proving-key", "", "claim proving key file (default: the embedded devnet key)")
	return cmd
}
