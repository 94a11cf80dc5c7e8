package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"emergence/personhood/identity"
)

func init() { topCommands = append(topCommands, newIDCmd) }

var idNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// identityPath is where the identity called name is kept under --home.
func (g *globals) identityPath(name string) (string, error) {
	if !idNameRE.MatchString(name) {
		return "", errorf("identity names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", "invalid identity name %q", name)
	}
	return filepath.Join(g.home, "identities", name+".json"), nil
}

// loadIdentity reads the identity called name, asking for its passphrase
// when the file is sealed.
func (g *globals) loadIdentity(name string) (*identity.Identity, error) {
	path, err := g.identityPath(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errorf(fmt.Sprintf("create one with 'emergence id create %s --home %s'", name, g.home), "no identity %q in %s", name, filepath.Dir(path))
	}
	if err != nil {
		return nil, fmt.Errorf("read identity: %w", err)
	}
	var pass []byte
	if identity.Encrypted(data) {
		if pass, err = g.keyringPassphrase("identity "+name, false); err != nil {
			return nil, g.keyringError(err, name)
		}
	}
	id, err := identity.Decode(data, pass)
	if err != nil {
		return nil, errorf("type the passphrase the identity was created with, or set $"+passphraseEnv, "open identity %q: %w", name, err)
	}
	return id, nil
}

func newIDCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "id",
		Short: "Manage your proof-of-personhood identity and claim UBI",
		Long: `An identity is a secret kept in --home (encrypted with a passphrase unless
--keyring-backend test). Its public commitment is what an enrolment operator
puts on chain after checking you are a unique human. Claims prove membership
with a zero-knowledge proof that reveals neither the secret nor which
commitment is yours.

  emergence id create                  # new identity "default"; prints the commitment
  emergence id show                    # print the commitment again`,
	}
	cmd.AddCommand(newIDCreateCmd(g), newIDShowCmd(g))
	for _, f := range idSubcommands {
		cmd.AddCommand(f(g))
	}
	return cmd
}

// idSubcommands are more children of "emergence id", added by other files.
var idSubcommands []func(*globals) *cobra.Command

type idJSON struct {
	Name       string `json:"name"`
	Commitment string `json:"commitment"`
	File       string `json:"file"`
	Encrypted  bool   `json:"encrypted"`
}

func newIDCreateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "create [name]",
		Short: "Create a new identity secret and print its commitment",
		Long: `Create a new identity secret under --home/identities/<name>.json (name
"default" if omitted) and print its commitment for enrolment. With the file
keyring backend the secret is sealed with a passphrase (Argon2id +
XChaCha20-Poly1305) read from $` + passphraseEnv + `, the terminal, or a line of
standard input; --keyring-backend test stores it unencrypted (devnets only).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "default"
			if len(args) == 1 {
				name = args[0]
			}
			path, err := g.identityPath(name)
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); err == nil {
				return errorf("pick another name; an identity cannot be recovered once overwritten", "identity %q already exists at %s", name, path)
			}
			var pass []byte
			if g.keyringBackend == "file" {
				if pass, err = g.keyringPassphrase("identity "+name, true); err != nil {
					return g.keyringError(err, name)
				}
			}
			id, err := identity.New()
			if err != nil {
				return err
			}
			data, err := id.Encode(pass)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return fmt.Errorf("create identity directory: %w", err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("write identity: %w", err)
			}
			if _, err := f.Write(data); err != nil {
				f.Close()
				return fmt.Errorf("write identity: %w", err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("write identity: %w", err)
			}
			out := idJSON{Name: name, Commitment: identity.CommitmentString(id.Commitment()), File: path, Encrypted: len(pass) > 0}
			return g.print(out, func(w io.Writer) {
				fmt.Fprintf(w, "created identity %q in %s", name, path)
				if !out.Encrypted {
					fmt.Fprint(w, " (unencrypted: test backend)")
				}
				fmt.Fprintf(w, "\ncommitment: %s\n", out.Commitment)
			})
		},
	}
}

func newIDShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show [name]",
		Short: "Print an identity's commitment (no passphrase needed)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "default"
			if len(args) == 1 {
				name = args[0]
			}
			path, err := g.identityPath(name)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				return errorf(fmt.Sprintf("create one with 'emergence id create %s'", name), "no identity %q in %s", name, filepath.Dir(path))
			}
			if err != nil {
				return fmt.Errorf("read identity: %w", err)
			}
			c, err := identity.PublicCommitment(data)
			if err != nil {
				return errorf("the file is not an identity written by 'emergence id create'", "read identity %q: %w", name, err)
			}
			out := idJSON{Name: name, Commitment: c, File: path, Encrypted: identity.Encrypted(data)}
			return g.print(out, func(w io.Writer) { fmt.Fprintf(w, "%s\n", out.Commitment) })
		},
	}
}
