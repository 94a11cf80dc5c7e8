package main

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"emergence/keys"
	"emergence/tx"
)

func init() { topCommands = append(topCommands, newKeysCmd) }

// passphraseEnv, when set and non-empty, is the file keyring's passphrase;
// scripts use it instead of a terminal prompt.
const passphraseEnv = "EMERGENCE_KEYRING_PASSPHRASE"

// minPassphraseLen is the shortest passphrase accepted when sealing a key.
const minPassphraseLen = 8

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the keys that sign transactions",
		Long: `Manage named ed25519 keys, each derived from a 24-word BIP-39 mnemonic
(SLIP-0010 path ` + keys.DerivationPath + `), in <home>/keyring-<backend>/.

With --keyring-backend file (the default) every key file is encrypted with a
passphrase (scrypt + XChaCha20-Poly1305). The passphrase is read from
$` + passphraseEnv + ` if set, else asked on the terminal, else read as one
line from standard input. --keyring-backend test keeps keys unencrypted, for
devnets only.

Examples:
  emergence keys add alice
  emergence keys recover alice < mnemonic.txt
  emergence keys list --output json
  emergence keys show alice --address --keyring-backend test
  emergence keys delete alice --yes`,
	}
	cmd.AddCommand(newKeysAddCmd(g), newKeysRecoverCmd(g), newKeysListCmd(g), newKeysShowCmd(g), newKeysDeleteCmd(g))
	return cmd
}

// keyJSON is the JSON form of a key in every keys command.
type keyJSON struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	PubKey   []byte `json:"pubkey"`
	Mnemonic string `json:"mnemonic,omitempty"`
}

func toKeyJSON(in keys.Info) keyJSON {
	return keyJSON{Name: in.Name, Address: in.Address.String(), PubKey: in.PubKey}
}

func newKeysAddCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "add NAME",
		Short: "Create a key from a fresh 24-word mnemonic and print the mnemonic once",
		Long: `Create a key from a fresh 24-word mnemonic and store it as NAME.

The mnemonic is printed once and never stored: write it down, it is the only
way to recover the key ('emergence keys recover').`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			info, mnemonic, err := kr.Add(args[0])
			if err != nil {
				return g.keyringError(err, args[0])
			}
			out := toKeyJSON(info)
			out.Mnemonic = mnemonic
			if g.output != "json" {
				fmt.Fprintln(g.stderr, "Write this mnemonic down and keep it secret: it is the only way to recover the key.")
			}
			return g.print(out, func(w io.Writer) {
				fmt.Fprintf(w, "name:     %s\naddress:  %s\nmnemonic: %s\n", out.Name, out.Address, mnemonic)
			})
		},
	}
}

func newKeysRecoverCmd(g *globals) *cobra.Command {
	var mnemonic string
	cmd := &cobra.Command{
		Use:   "recover NAME",
		Short: "Store the key of an existing mnemonic as NAME",
		Long: `Store the key of an existing BIP-39 mnemonic as NAME. The mnemonic is read
from --mnemonic, else asked on the terminal, else read as the first line of
standard input (with the file backend and no $` + passphraseEnv + `, the
passphrase is the next line).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := keys.ValidateName(args[0]); err != nil {
				return g.keyringError(err, args[0])
			}
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			if _, err := kr.Show(args[0]); err == nil {
				return g.keyringError(fmt.Errorf("%w: %q", keys.ErrKeyExists, args[0]), args[0])
			}
			if mnemonic == "" {
				if g.stdinIsTerminal() {
					fmt.Fprint(g.stderr, "Enter the mnemonic: ")
				}
				line, err := readLine(g.stdin)
				if err != nil {
					return hinted("pass the words with --mnemonic or one line on standard input", fmt.Errorf("read mnemonic: %w", err))
				}
				mnemonic = line
			}
			info, err := kr.Recover(args[0], mnemonic)
			if err != nil {
				return g.keyringError(err, args[0])
			}
			out := toKeyJSON(info)
			return g.print(out, func(w io.Writer) {
				fmt.Fprintf(w, "name:    %s\naddress: %s\n", out.Name, out.Address)
			})
		},
	}
	cmd.Flags().StringVar(&mnemonic, "mnemonic", "", "the mnemonic (visible to other users in the process list; prefer standard input)")
	return cmd
}

func newKeysListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the stored keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			infos, err := kr.List()
			if err != nil {
				return g.keyringError(err, "")
			}
			out := make([]keyJSON, len(infos))
			for i, in := range infos {
				out[i] = toKeyJSON(in)
			}
			return g.print(out, func(w io.Writer) {
				if len(out) == 0 {
					fmt.Fprintf(g.stderr, "no keys in %s (add one with 'emergence keys add NAME')\n", kr.Dir())
					return
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tADDRESS")
				for _, k := range out {
					fmt.Fprintf(tw, "%s\t%s\n", k.Name, k.Address)
				}
				tw.Flush()
			})
		},
	}
}

func newKeysShowCmd(g *globals) *cobra.Command {
	var addressOnly bool
	cmd := &cobra.Command{
		Use:   "show NAME|ADDRESS",
		Short: "Show a key's address and public key",
		Long: `Show a stored key, found by name or by address. With --address, print only
the address (in text mode a bare line, for scripts).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			var info keys.Info
			if addr, perr := tx.ParseAddress(args[0]); perr == nil {
				info, err = kr.ByAddress(addr)
			} else {
				info, err = kr.Show(args[0])
			}
			if err != nil {
				return g.keyringError(err, args[0])
			}
			out := toKeyJSON(info)
			if addressOnly {
				return g.print(map[string]string{"address": out.Address}, func(w io.Writer) {
					fmt.Fprintln(w, out.Address)
				})
			}
			return g.print(out, func(w io.Writer) {
				fmt.Fprintf(w, "name:    %s\naddress: %s\npubkey:  %x\n", out.Name, out.Address, out.PubKey)
			})
		},
	}
	cmd.Flags().BoolVarP(&addressOnly, "address", "a", false, "print only the address")
	return cmd
}

func newKeysDeleteCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a key (it can only come back from its mnemonic)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			kr, err := g.openKeyring()
			if err != nil {
				return err
			}
			info, err := kr.Show(name)
			if err != nil {
				return g.keyringError(err, name)
			}
			if !yes {
				if !g.stdinIsTerminal() {
					return errorf("pass --yes to delete without a prompt", "refusing to delete key %q without confirmation", name)
				}
				fmt.Fprintf(g.stderr, "Delete key %q (%s)? It can only be restored from its mnemonic. [y/N]: ", name, info.Address)
				answer, err := readLine(g.stdin)
				if err != nil || !strings.EqualFold(strings.TrimSpace(answer), "y") && !strings.EqualFold(strings.TrimSpace(answer), "yes") {
					return errorf("", "key %q not deleted", name)
				}
			}
			if err := kr.Delete(name); err != nil {
				return g.keyringError(err, name)
			}
			out := toKeyJSON(info)
			return g.print(map[string]string{"deleted": out.Name, "address": out.Address}, func(w io.Writer) {
				fmt.Fprintf(w, "deleted key %q (%s)\n", out.Name, out.Address)
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking")
	return cmd
}

// openKeyring opens the keyring selected by --home and --keyring-backend.
// With the file backend, passphrases come from $EMERGENCE_KEYRING_PASSPHRASE,
// a terminal prompt, or a line of standard input, in that order.
func (g *globals) openKeyring() (*keys.Keyring, error) {
	kr, err := keys.Open(g.home, g.keyringBackend, g.keyringPassphrase)
	if err != nil {
		return nil, hinted("use --keyring-backend file or test", fmt.Errorf("open keyring: %w", err))
	}
	return kr, nil
}

// signerKey returns the private key and address of the key called name (or
// with address name) in the keyring selected by --home and
// --keyring-backend, for commands that sign transactions. Errors carry a
// hint for the user.
func (g *globals) signerKey(name string) (ed25519.PrivateKey, tx.Address, error) {
	kr, err := g.openKeyring()
	if err != nil {
		return nil, tx.Address{}, err
	}
	if addr, perr := tx.ParseAddress(name); perr == nil {
		info, err := kr.ByAddress(addr)
		if err != nil {
			return nil, tx.Address{}, g.keyringError(err, name)
		}
		name = info.Name
	} else if looksLikeAddress(name) {
		return nil, tx.Address{}, badAddress(name, perr, "sign with a key name or the address of a key in 'emergence keys list'")
	}
	priv, err := kr.PrivKey(name)
	if err != nil {
		return nil, tx.Address{}, g.keyringError(err, name)
	}
	return priv, tx.AddressFromPubKey(priv.Public().(ed25519.PublicKey)), nil
}

// addressOrKey resolves s to an address: s itself if it is a bech32
// address, else the address of the key called s. No passphrase is needed.
// Text that is meant as an address (it starts with emg1, or is bech32 of
// another prefix) and is not a valid one is reported as a bad address,
// saying what is wrong (checksum, prefix, length), not as an unknown key.
func (g *globals) addressOrKey(s string) (tx.Address, error) {
	addr, err := tx.ParseAddress(s)
	if err == nil {
		return addr, nil
	}
	if looksLikeAddress(s) {
		return tx.Address{}, badAddress(s, err, "an address is "+tx.AddressPrefix+"1 followed by 38 characters, as printed by 'emergence keys show NAME --address'; check it was copied whole")
	}
	kr, err := g.openKeyring()
	if err != nil {
		return tx.Address{}, err
	}
	info, err := kr.Show(s)
	if err != nil {
		if other := g.otherBackend(s); errors.Is(err, keys.ErrKeyNotFound) && other != "" {
			return tx.Address{}, g.keyringError(err, s)
		}
		if errors.Is(err, keys.ErrKeyNotFound) || errors.Is(err, keys.ErrInvalidName) {
			return tx.Address{}, hinted(
				fmt.Sprintf("give an emg1... address, or a key name from 'emergence keys list --home %s --keyring-backend %s'", g.home, g.keyringBackend),
				fmt.Errorf("%q is neither an address nor a key name: %w", s, err))
		}
		return tx.Address{}, g.keyringError(err, s)
	}
	return info.Address, nil
}

// looksLikeAddress reports whether s is meant as an address: it starts
// with the address prefix and separator, or it is bech32 text of another
// prefix (key names cannot hold a bech32 checksum by chance).
func looksLikeAddress(s string) bool {
	if strings.HasPrefix(strings.ToLower(s), tx.AddressPrefix+"1") {
		return true
	}
	_, _, err := bech32.Decode(s)
	return err == nil
}

// badAddress is the usage error for text s meant as an address that did
// not parse (err): it adds the length when that is what is wrong, which a
// bech32 checksum error alone does not say.
func badAddress(s string, err error, hint string) error {
	if want := len(tx.Address{}.String()); len(s) != want {
		return errorf(hint, "%w (%d characters, an address has %d)", err, len(s), want)
	}
	return errorf(hint, "%w", err)
}

// otherBackend returns the keyring backend that is not --keyring-backend
// when it holds a key called name (or with address name), else "".
func (g *globals) otherBackend(name string) string {
	other := keys.BackendTest
	if g.keyringBackend == keys.BackendTest {
		other = keys.BackendFile
	}
	noPrompt := func(string, bool) ([]byte, error) { return nil, errors.New("no passphrase needed to look a key up") }
	kr, err := keys.Open(g.home, other, noPrompt)
	if err != nil {
		return ""
	}
	if addr, perr := tx.ParseAddress(name); perr == nil {
		if _, err := kr.ByAddress(addr); err == nil {
			return other
		}
		return ""
	}
	if _, err := kr.Show(name); err == nil {
		return other
	}
	return ""
}

// keyringError turns a keyring error into a user error with a hint.
func (g *globals) keyringError(err error, name string) error {
	flags := fmt.Sprintf("--home %s --keyring-backend %s", g.home, g.keyringBackend)
	switch {
	case errors.Is(err, keys.ErrKeyNotFound) && name != "" && g.otherBackend(name) != "":
		other := g.otherBackend(name)
		return hinted(fmt.Sprintf("key %q is in the %s keyring of %s: pass --keyring-backend %s", name, other, g.home, other), err)
	case errors.Is(err, keys.ErrKeyNotFound):
		return hinted(fmt.Sprintf("list keys with 'emergence keys list %s', or create one with 'emergence keys add %s %s'", flags, name, flags), err)
	case errors.Is(err, keys.ErrKeyExists):
		return hinted("pick another name, or delete the old key first with 'emergence keys delete' (keep its mnemonic!)", err)
	case errors.Is(err, keys.ErrWrongPassphrase):
		return hinted("type the passphrase the key was created with, or set $"+passphraseEnv, err)
	case errors.Is(err, keys.ErrInvalidName):
		return hinted("key names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", err)
	case errors.Is(err, keys.ErrInvalidMnemonic):
		return hinted("check the words and their order: a mnemonic is 12 to 24 words from the BIP-39 English list", err)
	}
	var pe *passphraseError
	if errors.As(err, &pe) {
		return hinted(fmt.Sprintf("set $%s (at least %d characters to create a key), or run in a terminal", passphraseEnv, minPassphraseLen), err)
	}
	return err
}

// hinted returns a usage error (exit status 2, printed with hint) that
// still unwraps to err, so callers can test the keyring's sentinels with
// errors.Is.
func hinted(hint string, err error) error { return usage(err, hint) }

// passphraseError is a failure to obtain a usable passphrase.
type passphraseError struct{ msg string }

func (e *passphraseError) Error() string { return e.msg }

func passphraseErrorf(format string, args ...any) error {
	return &passphraseError{msg: fmt.Sprintf(format, args...)}
}

// keyringPassphrase is the keys.PassphraseFunc of the CLI.
func (g *globals) keyringPassphrase(name string, create bool) ([]byte, error) {
	var pass []byte
	switch {
	case os.Getenv(passphraseEnv) != "":
		pass = []byte(os.Getenv(passphraseEnv))
	case g.stdinIsTerminal():
		fd := int(g.stdin.(*os.File).Fd())
		verb := "Passphrase to unlock"
		if create {
			verb = "New passphrase to encrypt"
		}
		fmt.Fprintf(g.stderr, "%s key %q: ", verb, name)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(g.stderr)
		if err != nil {
			return nil, passphraseErrorf("read from terminal: %v", err)
		}
		if create && len(p) >= minPassphraseLen {
			fmt.Fprint(g.stderr, "Repeat the passphrase: ")
			again, err := term.ReadPassword(fd)
			fmt.Fprintln(g.stderr)
			if err != nil {
				return nil, passphraseErrorf("read from terminal: %v", err)
			}
			if !bytes.Equal(p, again) {
				return nil, passphraseErrorf("the two passphrases differ")
			}
		}
		pass = p
	default:
		line, err := readLine(g.stdin)
		if err != nil {
			return nil, passphraseErrorf("$%s is not set and standard input gave none: %v", passphraseEnv, err)
		}
		pass = []byte(line)
	}
	if create && len(pass) < minPassphraseLen {
		return nil, passphraseErrorf("too short: %d characters, want at least %d", len(pass), minPassphraseLen)
	}
	return pass, nil
}

func (g *globals) stdinIsTerminal() bool {
	f, ok := g.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// readLine reads one line from r, a byte at a time so that nothing past the
// newline is consumed (the next prompt reads the next line). It strips the
// line ending and fails on an empty input.
func readLine(r io.Reader) (string, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			if len(line) > 64<<10 {
				return "", errors.New("line longer than 64 KiB")
			}
		}
		if err == io.EOF {
			if len(line) == 0 {
				return "", errors.New("end of input")
			}
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimRight(string(line), "\r"), nil
}
