package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

func init() { topCommands = append(topCommands, newWaitCmd) }

// newWaitCmd is "emergence wait": block until the chain reaches a height,
// so that scripts and the READMEs can say "after the commit window" as a
// command rather than a guess.
func newWaitCmd(g *globals) *cobra.Command {
	var (
		height  int64
		blocks  int64
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "wait (--height N | --blocks K)",
		Short: "Wait until the chain reaches a height",
		Long: `Wait until the node's latest committed block is at least --height N, or
--blocks K blocks past the height when the command starts, then print the height.
A node that is still starting is waited for. It fails after --timeout.`,
		Example: `  emergence wait --blocks 3          # three more blocks
  emergence wait --height 120        # e.g. the end of a label job's commit window`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (height > 0) == (blocks > 0) {
				return errorf("pass exactly one of --height N and --blocks K", "nothing to wait for")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			c := g.client()
			target := height
			if blocks > 0 {
				// A node that is still starting is worth waiting for.
				if err := c.WaitHeight(ctx, 0); err != nil {
					return errorf(fmt.Sprintf("is a node running at %s? start one with 'emergence devnet' or pass --node", g.nodeAddr()), "no answer from the node within %s", timeout)
				}
				st, err := c.Status(ctx)
				if err != nil {
					return g.nodeError(err)
				}
				target = st.Height + blocks
			}
			if err := c.WaitHeight(ctx, target); err != nil {
				if ctx.Err() != nil {
					return errorf(fmt.Sprintf("is the node producing blocks? see 'emergence status'; or raise --timeout (now %s)", timeout), "height %d not reached within %s", target, timeout)
				}
				return g.nodeError(err)
			}
			st, err := c.Status(ctx)
			if err != nil {
				return g.nodeError(err)
			}
			return g.print(map[string]int64{"height": st.Height}, func(w io.Writer) { fmt.Fprintf(w, "height %d\n", st.Height) })
		},
	}
	cmd.Flags().Int64Var(&height, "height", 0, "wait until this height is committed")
	cmd.Flags().Int64Var(&blocks, "blocks", 0, "wait until this many more blocks are committed")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}
