package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"

	"emergence/personhood"
	"emergence/personhood/claim"
	"emergence/personhood/enrolment"
	"emergence/personhood/iris"
	"emergence/personhood/sealbox"
)

func init() {
	txCommands = append(txCommands, newPersonhoodTxCmd)
	queryCommands = append(queryCommands, newPersonhoodQueryCmd)
	topCommands = append(topCommands, newPersonhoodToolsCmd)
}

func newPersonhoodTxCmd(g *globals) *cobra.Command {
	return txGroup(g, personhood.Name, "Enrolment operators, enrolments and governance of proof of personhood",
		newPHEnrolCmd(g), newPHEnrolBatchCmd(g), newPHProveHumanCmd(g))
}

// deviceKey returns the operator's device key named by --device.
func (g *globals) deviceKey(name string) (ed25519.PrivateKey, error) {
	if name == "" {
		return nil, errorf("pass --device KEY, the keyring key of the operator's enrolment device (see 'emergence keys list')", "no device key given")
	}
	key, _, err := g.signerKey(name)
	return key, err
}

// galleryPassphrase returns the passphrase of an operator's template gallery.
func (g *globals) galleryPassphrase(create bool) ([]byte, error) {
	p, err := g.keyringPassphrase("template gallery", create)
	if err != nil {
		return nil, g.keyringError(err, "gallery")
	}
	return p, nil
}

// checkGallery runs enrolment.CheckGallery with a hint for its errors.
func checkGallery(path string, pass []byte, p *iris.Person) (*enrolment.Check, error) {
	c, err := enrolment.CheckGallery(path, pass, p)
	if errors.Is(err, sealbox.ErrDecrypt) {
		return nil, errorf("type the passphrase the gallery was created with, or set $"+passphraseEnv, "%w", err)
	}
	if err != nil {
		return nil, errorf("the file must be a gallery written by 'emergence tx personhood enrol --gallery'", "%w", err)
	}
	return c, nil
}

// readCapture reads a person's capture file.
func readCapture(path string) (*iris.Person, error) {
	p, err := iris.ReadCapture(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errorf("make a synthetic one with 'emergence personhood synth-capture'", "%w", err)
	}
	if err != nil {
		return nil, errorf("a capture file holds two iris templates (left, right) as written by 'emergence personhood synth-capture'", "%w", err)
	}
	return p, nil
}

func newPHEnrolCmd(g *globals) *cobra.Command {
	var f txFlags
	var device, operator, capture, gallery string
	cmd := &cobra.Command{
		Use:   "enrol COMMITMENT --device KEY --from KEY [--capture FILE --gallery FILE]",
		Short: "Enrol an identity commitment, after a uniqueness check of the person's irises",
		Long: `Sign the identity commitment (from 'emergence id create') with the device key
and submit it. With --capture and --gallery the operator first searches the
encrypted template gallery for the person's two eyes (FHD <= 0.345 over 31
rotations, both eyes) and refuses a duplicate; a unique person's templates
are added to the gallery after the enrolment commits. --operator defaults to
the --from address.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := personhood.ParseField(args[0])
			if err != nil {
				return errorf("pass the decimal commitment printed by 'emergence id create'", "commitment: %w", err)
			}
			dev, err := g.deviceKey(device)
			if err != nil {
				return err
			}
			key, from, err := g.signer(f.from)
			if err != nil {
				return err
			}
			op := from
			if operator != "" {
				if op, err = g.addressOrKey(operator); err != nil {
					return err
				}
			}
			if (capture == "") != (gallery == "") {
				return errorf("pass both --capture and --gallery, or neither", "uniqueness check needs a capture and a gallery")
			}
			var check *enrolment.Check
			if capture != "" {
				person, err := readCapture(capture)
				if err != nil {
					return err
				}
				_, statErr := os.Stat(gallery)
				pass, err := g.galleryPassphrase(errors.Is(statErr, os.ErrNotExist))
				if err != nil {
					return err
				}
				if check, err = checkGallery(gallery, pass, person); err != nil {
					return err
				}
				if !check.Unique {
					_ = g.print(check.Uniqueness, func(w io.Writer) { printMatches(w, check.Matches) })
					return errorf("this person is already enrolled; each human gets one identity", "uniqueness check failed: %d match(es) among %d enrolled people", len(check.Matches), check.People)
				}
				fmt.Fprintf(g.stderr, "uniqueness check: no match among %d enrolled people (%.3f s)\n", check.People, check.Seconds)
			}
			opts, err := f.options()
			if err != nil {
				return err
			}
			chainID, err := chainIDFor(g, cmd.Context())
			if err != nil {
				return err
			}
			m, err := msg(personhood.Name+"/enrol", enrolment.Msg(chainID, dev, op, c))
			if err != nil {
				return err
			}
			if _, err := g.broadcast(cmd, key, opts, m); err != nil {
				return err
			}
			if check != nil {
				if err := check.Record(); err != nil {
					return fmt.Errorf("enrolled on chain, but the gallery was not updated: %w", err)
				}
			}
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&device, "device", "", "keyring key of the operator's device (signs the enrolment)")
	cmd.Flags().StringVar(&operator, "operator", "", "operator address or key (default: --from)")
	cmd.Flags().StringVar(&capture, "capture", "", "iris capture file of the person (two templates)")
	cmd.Flags().StringVar(&gallery, "gallery", "", "operator's encrypted template gallery (created if missing)")
	return cmd
}

func newPHEnrolBatchCmd(g *globals) *cobra.Command {
	var f txFlags
	var device, operator string
	cmd := &cobra.Command{
		Use:   "enrol-batch FILE --device KEY --from KEY",
		Short: "Enrol many identity commitments (one per line of FILE), up to 500 per transaction",
		Long: `Sign every commitment in FILE (decimal, one per line; blank lines and lines
starting with # are skipped) with the device key and submit them in
transactions of at most 500, each one tree update on chain, all or nothing.
Run the uniqueness check for each person before adding them to the file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return errorf("pass a file of decimal commitments, one per line", "read %s: %w", args[0], err)
			}
			commitments, err := enrolment.ReadCommitments(data)
			if err != nil {
				return errorf("each line holds one decimal commitment from 'emergence id show'", "%s: %w", args[0], err)
			}
			dev, err := g.deviceKey(device)
			if err != nil {
				return err
			}
			key, from, err := g.signer(f.from)
			if err != nil {
				return err
			}
			op := from
			if operator != "" {
				if op, err = g.addressOrKey(operator); err != nil {
					return err
				}
			}
			chainID, err := chainIDFor(g, cmd.Context())
			if err != nil {
				return err
			}
			opts, err := f.options()
			if err != nil {
				return err
			}
			for _, b := range enrolment.Batches(chainID, dev, op, commitments) {
				m, err := msg(personhood.Name+"/enrol-batch", b)
				if err != nil {
					return err
				}
				if _, err := g.broadcast(cmd, key, opts, m); err != nil {
					return err
				}
				opts.Nonce = nil
			}
			return nil
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&device, "device", "", "keyring key of the operator's device (signs the enrolments)")
	cmd.Flags().StringVar(&operator, "operator", "", "operator address or key (default: --from)")
	return cmd
}

// chainIDFor returns the chain id of the node (enrolment signatures bind it).
func chainIDFor(g *globals, ctx context.Context) (string, error) {
	st, err := g.client().Status(ctx)
	if err != nil {
		return "", g.nodeError(err)
	}
	return st.ChainID, nil
}

func newPersonhoodQueryCmd(g *globals) *cobra.Command {
	var after, limit string
	cmd := &cobra.Command{
		Use:   "personhood WHAT [ARGS]",
		Short: "Query personhood: params, tree, pool, operators, operator ADDR, enrolments, epochs (each with the UBI pool's balance, inflow and grants paid), epoch N, path COMMITMENT, claim EPOCH NH, human APP ADDR",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			params := url.Values{}
			switch {
			case len(args) == 2 && path == "path":
				params.Set("commitment", args[1])
			case len(args) == 1 && (path == "operators" || path == "epochs"):
				// Pages: --after the previous page's last operator or epoch.
				if after != "" {
					params.Set("after", after)
				}
				if limit != "" {
					params.Set("limit", limit)
				}
			case len(args) == 1 && (path == "params" || path == "tree" || path == "pool" || path == "enrolments"):
			case len(args) == 2 && path == "operator":
				a, err := g.addressOrKey(args[1])
				if err != nil {
					return err
				}
				path += "/" + a.String()
			case len(args) == 2 && path == "epoch":
				if _, err := strconv.ParseUint(args[1], 10, 64); err != nil {
					return errorf("epochs are numbered 0, 1, 2, ...", "epoch %q: %w", args[1], err)
				}
				path += "/" + args[1]
			case len(args) == 3 && path == "claim":
				path += "/" + args[1] + "/" + args[2]
			case len(args) == 3 && path == "human":
				a, err := g.addressOrKey(args[2])
				if err != nil {
					return err
				}
				path += "/" + args[1] + "/" + a.String()
			default:
				return errorf("see 'emergence query personhood --help'", "unknown personhood query %q with %d argument(s)", path, len(args)-1)
			}
			var out any
			if err := g.query(cmd.Context(), personhood.Name, path, params, &out); err != nil {
				return err
			}
			return g.printJSON(out)
		},
	}
	cmd.Flags().StringVar(&after, "after", "", "operators, epochs: the page after this operator address or epoch number")
	cmd.Flags().StringVar(&limit, "limit", "", "operators, epochs: most records per page (1-1000, default 100)")
	return cmd
}

func newPersonhoodToolsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "personhood",
		Short: "Offline personhood tools: synthetic iris captures, uniqueness checks, claim-circuit setup",
	}
	cmd.AddCommand(newPHSynthCmd(g), newPHCheckCmd(g), newPHSetupCmd(g))
	return cmd
}

func newPHSynthCmd(g *globals) *cobra.Command {
	var person, captureN, out string
	cmd := &cobra.Command{
		Use:   "synth-capture --person NAME --capture N --out FILE",
		Short: "Write a synthetic two-eye iris capture of a synthetic person",
		Long: `Write a synthetic iris capture (two 12,800-bit templates with masks) of the
synthetic person NAME. The same --person gives the same eyes; each --capture
number is a new noisy, rotated, occluded capture of them, so two captures of
one person match and captures of different people do not. For demos and tests
of 'emergence tx personhood enrol --capture'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if person == "" || out == "" {
				return errorf("pass --person NAME and --out FILE", "missing flags")
			}
			p := iris.SynthCapture(person, captureN)
			b, _ := p.MarshalBinary()
			if err := os.WriteFile(out, b, 0o600); err != nil {
				return fmt.Errorf("write capture: %w", err)
			}
			return g.print(map[string]any{"file": out, "bytes": len(b), "left_usable_bits": p.Left.MaskedBits(), "right_usable_bits": p.Right.MaskedBits()}, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %s (%d bytes; usable bits left %d, right %d of %d)\n", out, len(b), p.Left.MaskedBits(), p.Right.MaskedBits(), iris.CodeBits)
			})
		},
	}
	cmd.Flags().StringVar(&person, "person", "", "synthetic person name (same name, same eyes)")
	cmd.Flags().StringVar(&captureN, "capture", "1", "capture number (each is a new noisy capture)")
	cmd.Flags().StringVar(&out, "out", "", "output file")
	return cmd
}

func newPHCheckCmd(g *globals) *cobra.Command {
	var gallery string
	cmd := &cobra.Command{
		Use:   "check CAPTURE --gallery FILE",
		Short: "Search an encrypted template gallery for a capture (no enrolment)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			person, err := readCapture(args[0])
			if err != nil {
				return err
			}
			pass, err := g.galleryPassphrase(false)
			if err != nil {
				return err
			}
			check, err := checkGallery(gallery, pass, person)
			if err != nil {
				return err
			}
			res := check.Uniqueness
			return g.print(res, func(w io.Writer) {
				if res.Unique {
					fmt.Fprintf(w, "unique: no match among %d enrolled people (%.3f s)\n", res.People, res.Seconds)
				}
				printMatches(w, res.Matches)
			})
		},
	}
	cmd.Flags().StringVar(&gallery, "gallery", "", "encrypted template gallery")
	return cmd
}

func newPHSetupCmd(g *globals) *cobra.Command {
	var depth int
	var out string
	cmd := &cobra.Command{
		Use:   "setup --depth 30 --out DIR",
		Short: "Run a Groth16 setup of the claim circuit and write claim.pk and claim.vk",
		Long: `Compile the claim circuit for a tree of --depth levels and run a Groth16
setup with fresh randomness. Whoever runs it could forge proofs, so this is
for private networks; put the hex of claim.vk in the genesis personhood
params.verifying_key and give claimants claim.pk (emergence id claim
--proving-key). Devnets need nothing: the binary embeds depth-30 dev keys.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger.Disable()
			fmt.Fprintf(g.stderr, "compiling and running setup at depth %d...\n", depth)
			p, v, err := claim.Setup(depth)
			if err != nil {
				return errorf("depth must be 1..48", "%w", err)
			}
			pk, err := p.WriteKey()
			if err != nil {
				return err
			}
			vk, err := v.EncodeVerifyingKey()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", out, err)
			}
			if err := os.WriteFile(filepath.Join(out, "claim.pk"), pk, 0o644); err != nil {
				return fmt.Errorf("write proving key: %w", err)
			}
			if err := os.WriteFile(filepath.Join(out, "claim.vk"), vk, 0o644); err != nil {
				return fmt.Errorf("write verifying key: %w", err)
			}
			res := map[string]any{"depth": depth, "constraints": p.Constraints(), "proving_key": filepath.Join(out, "claim.pk"), "verifying_key_hex": hex.EncodeToString(vk)}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "depth %d, %d constraints\nwrote %s and %s\ngenesis: \"personhood\": {\"params\": {\"tree_depth\": %d, \"verifying_key\": \"%s\"}}\n",
					depth, p.Constraints(), filepath.Join(out, "claim.pk"), filepath.Join(out, "claim.vk"), depth, hex.EncodeToString(vk))
			})
		},
	}
	cmd.Flags().IntVar(&depth, "depth", 30, "tree depth")
	cmd.Flags().StringVar(&out, "out", ".", "output directory")
	return cmd
}

// printMatches prints the enrolled people a capture matches.
func printMatches(w io.Writer, matches []iris.Match) {
	for _, m := range matches {
		fmt.Fprintf(w, "duplicate: matches enrolled person #%d (FHD left %.3f, right %.3f)\n", m.ID, m.Left, m.Right)
	}
}
