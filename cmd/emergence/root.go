package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// globals holds the flags every command accepts.
type globals struct {
	home           string
	node           string
	keyringBackend string
	output         string

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// Registries that subcommand files append to from their init functions, so an
// area (label, zkml, subnet, personhood...) adds its commands in its own file
// without editing this one. Cobra sorts commands by name, so file order does
// not show.
var (
	// topCommands are direct children of the root command.
	topCommands []func(*globals) *cobra.Command
	// txCommands are children of "emergence tx" (one per module).
	txCommands []func(*globals) *cobra.Command
	// queryCommands are children of "emergence query" (one per module).
	queryCommands []func(*globals) *cobra.Command
)

func defaultHome() string {
	if h := os.Getenv("EMERGENCE_HOME"); h != "" {
		return h
	}
	dir, err := os.UserHomeDir()
	if err != nil {
		return ".emergence"
	}
	return filepath.Join(dir, ".emergence")
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "emergence",
		Short: "Emergence: an open network for the AI workflow",
		Long: `emergence runs a node of the Emergence network and every worker role on it.

Quick start:
  emergence devnet                       # single-validator network on loopback
  emergence keys list --keyring-backend test
  emergence tx bank send alice bob 1.5emg --keyring-backend test
  emergence query bank balance <address>

` + exitStatusHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.output != "text" && g.output != "json" {
				return errorf("use --output text or --output json", "unknown output format %q", g.output)
			}
			if g.keyringBackend != "file" && g.keyringBackend != "test" {
				return errorf("use --keyring-backend file (encrypted) or test (unencrypted, devnets only)", "unknown keyring backend %q", g.keyringBackend)
			}
			return nil
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.home, "home", defaultHome(), "node and keyring directory")
	pf.StringVar(&g.node, "node", "", "API address of the node to talk to (default: read from --home, else http://127.0.0.1:8545)")
	pf.StringVar(&g.keyringBackend, "keyring-backend", "file", "keyring backend: file (encrypted at rest) or test (unencrypted)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usage(err, fmt.Sprintf("see '%s --help'", c.CommandPath()))
	})

	tx := &cobra.Command{Use: "tx", Short: "Sign and broadcast transactions, one subcommand per module"}
	for _, f := range txCommands {
		tx.AddCommand(f(g))
	}
	query := &cobra.Command{Use: "query", Aliases: []string{"q"}, Short: "Query chain state, one subcommand per module"}
	for _, f := range queryCommands {
		query.AddCommand(f(g))
	}
	root.AddCommand(tx, query)
	for _, f := range topCommands {
		root.AddCommand(f(g))
	}
	strictArgs(root)
	return root
}

// strictArgs makes every command below c, and c, treat bad arguments as
// usage errors (exit status 2): a command group given an unknown
// subcommand says so and suggests the nearest ones (cobra alone prints the
// group's help and exits 0 below the root), and a command given the wrong
// number of arguments prints its usage line.
func strictArgs(c *cobra.Command) {
	c.SuggestionsMinimumDistance = 2
	switch {
	case c.HasSubCommands() && !c.Runnable():
		c.Args = cobra.ArbitraryArgs
		c.RunE = unknownSubcommand
	case c.Args != nil:
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usage(err, "usage: "+cmd.UseLine())
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		strictArgs(sub)
	}
}

// unknownSubcommand is the Run of a command group: without arguments it
// prints the group's help, else it reports the unknown subcommand with the
// nearest known ones.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	path := cmd.CommandPath()
	hint := fmt.Sprintf("see '%s --help'", path)
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf("did you mean '%s %s'? (see '%s --help')", path, strings.Join(s, "' or '"+path+" "), path)
	}
	return usage(fmt.Errorf("unknown command %q for %q", args[0], path), hint)
}

// printJSON writes v as indented JSON to the command's stdout.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// print writes v as JSON when --output json is set, else calls text.
func (g *globals) print(v any, text func(w io.Writer)) error {
	if g.output == "json" {
		return g.printJSON(v)
	}
	text(g.stdout)
	return nil
}
