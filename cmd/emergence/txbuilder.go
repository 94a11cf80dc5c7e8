package main

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"emergence/api"
	"emergence/tx"
)

// The one-message 'emergence tx MODULE ACTION' commands are rows of a
// table (txtable.go): each names its positional arguments and flags by
// kind, and builds its message value from them. txCommand turns a row into
// a command: it parses every argument (a bad one is a usage error naming
// it, before any key is opened or the node asked), resolves the signing
// key, builds the message and broadcasts it. Commands that do more than
// one message from their arguments (create-job, enrol with a uniqueness
// check, proofs of membership) stay commands of their own.

// argKind says how an argument's text is parsed.
type argKind int

const (
	argString  argKind = iota // any text
	argUint                   // a non-negative integer
	argAmount                 // 1000uemg or 2.5emg
	argAddress                // an emg1... address or a key name
	argNetUID                 // a subnet's netuid
	argJob                    // a labeling job id
	argWeights                // uid:value pairs
	argDevice                 // a keyring key that signs, other than --from
)

// txArg is one positional argument (name is its placeholder, e.g. AMOUNT)
// or flag (name is the flag's name) of a table command.
type txArg struct {
	name     string
	kind     argKind
	usage    string // flags: help text
	def      string // flags: default value
	required bool   // flags: must be given
}

// txSpec is one row of the table: the command 'emergence tx module action'.
type txSpec struct {
	module, action       string
	use                  string // the usage after the action, e.g. "AMOUNT --from KEY"
	short, long, example string
	args                 []txArg // positional arguments, in order
	flags                []txArg
	gas                  uint64 // default gas limit (0: the client's default)
	// signerArg, when set, is the positional argument that names the
	// signing key, and the command has no --from.
	signerArg string
	// build returns the message value; it may set in.kind when the
	// message kind depends on the input (default module/action).
	build func(in *txInput) (any, error)
	// after, when set, runs once the transaction committed.
	after func(in *txInput, res *api.TxResult) error
}

// txInput is what a table command's build and after see: the parsed
// arguments by name, the signer and the message kind.
type txInput struct {
	g        *globals
	cmd      *cobra.Command
	key      ed25519.PrivateKey
	from     tx.Address
	fromName string
	kind     string
	vals     map[string]any
	given    map[string]bool
}

func (in *txInput) str(name string) string       { s, _ := in.vals[name].(string); return s }
func (in *txInput) uint(name string) uint64      { v, _ := in.vals[name].(uint64); return v }
func (in *txInput) amount(name string) uint64    { v, _ := in.vals[name].(uint64); return v }
func (in *txInput) addr(name string) tx.Address  { v, _ := in.vals[name].(tx.Address); return v }
func (in *txInput) netuid(name string) uint16    { v, _ := in.vals[name].(uint16); return v }
func (in *txInput) job(name string) uint64       { v, _ := in.vals[name].(uint64); return v }
func (in *txInput) weights(name string) txWeight { v, _ := in.vals[name].(txWeight); return v }
func (in *txInput) device(name string) ed25519.PrivateKey {
	v, _ := in.vals[name].(ed25519.PrivateKey)
	return v
}

// txWeight is a parsed weight vector.
type txWeight struct{ uids, values []uint16 }

// parse reads one argument's text by its kind.
func (g *globals) parseArg(a txArg, s string) (any, error) {
	switch a.kind {
	case argUint:
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, errorf(fmt.Sprintf("%s is a non-negative integer", argLabel(a)), "%s %q: %w", argLabel(a), s, err)
		}
		return v, nil
	case argAmount:
		return parseAmount(s)
	case argAddress:
		return g.addressOrKey(s)
	case argNetUID:
		return parseNetUID(s)
	case argJob:
		return parseJobID(s)
	case argWeights:
		u, v, err := parseWeights(s)
		return txWeight{u, v}, err
	case argDevice:
		return g.deviceKey(s)
	}
	return s, nil
}

// argLabel names an argument as the user wrote it.
func argLabel(a txArg) string {
	if a.name == strings.ToUpper(a.name) {
		return a.name
	}
	return "--" + a.name
}

// txCommand returns the command of one table row.
func txCommand(g *globals, spec txSpec) *cobra.Command {
	var f txFlags
	raw := make(map[string]*string, len(spec.flags))
	cmd := &cobra.Command{
		Use:     spec.action + " " + spec.use,
		Short:   spec.short,
		Long:    spec.long,
		Example: spec.example,
		Args:    cobra.ExactArgs(len(spec.args)),
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		in := &txInput{g: g, cmd: cmd, kind: spec.module + "/" + spec.action, vals: map[string]any{}, given: map[string]bool{}}
		signer := f.from
		for i, a := range spec.args {
			if a.name == spec.signerArg {
				signer = args[i]
				continue
			}
			v, err := g.parseArg(a, args[i])
			if err != nil {
				return err
			}
			in.vals[a.name], in.given[a.name] = v, true
		}
		for _, a := range spec.flags {
			s := *raw[a.name]
			if s == "" {
				if a.required {
					return errorf(fmt.Sprintf("pass --%s: %s", a.name, a.usage), "no --%s given", a.name)
				}
				continue
			}
			v, err := g.parseArg(a, s)
			if err != nil {
				return err
			}
			in.vals[a.name], in.given[a.name] = v, cmd.Flags().Changed(a.name)
		}
		key, from, err := g.signer(signer)
		if err != nil {
			return err
		}
		in.key, in.from, in.fromName = key, from, signer
		value, err := spec.build(in)
		if err != nil {
			return err
		}
		res, err := g.sendAs(cmd, key, &f, in.kind, value)
		if err == nil && spec.after != nil {
			err = spec.after(in, res)
		}
		return err
	}
	f.register(cmd, spec.signerArg == "")
	if spec.gas != 0 {
		f.gas = spec.gas
		cmd.Flags().Lookup("gas").DefValue = strconv.FormatUint(spec.gas, 10)
	}
	for _, a := range spec.flags {
		raw[a.name] = new(string)
		cmd.Flags().StringVar(raw[a.name], a.name, a.def, a.usage)
	}
	return cmd
}

// txGroup returns 'emergence tx module': the table's commands of module
// and the module's own commands in extra.
func txGroup(g *globals, module, short string, extra ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: module, Short: short}
	for _, spec := range txTable {
		if spec.module == module {
			cmd.AddCommand(txCommand(g, spec))
		}
	}
	cmd.AddCommand(extra...)
	return cmd
}
