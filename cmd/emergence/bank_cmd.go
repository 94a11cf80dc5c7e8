package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"emergence/bank"
	"emergence/client"
	"emergence/tx"
)

func init() {
	txCommands = append(txCommands, newBankTxCmd)
	queryCommands = append(queryCommands, newBankQueryCmd, newQueryTxCmd, newQueryBlockCmd)
}

func newBankTxCmd(g *globals) *cobra.Command {
	var mf txFlags
	multi := &cobra.Command{
		Use:     "multisend FROM TO AMOUNT [TO AMOUNT]...",
		Short:   "Send to several recipients in one transaction (all or nothing)",
		Example: "  emergence tx bank multisend alice bob 1emg carol 2emg --keyring-backend test",
		Args:    cobra.MinimumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args)%2 != 1 {
				return errorf("give TO AMOUNT pairs after FROM", "odd number of recipient arguments")
			}
			key, _, err := g.signer(args[0])
			if err != nil {
				return err
			}
			var outs []bank.Output
			for i := 1; i < len(args); i += 2 {
				to, err := g.addressOrKey(args[i])
				if err != nil {
					return err
				}
				amt, err := parseAmount(args[i+1])
				if err != nil {
					return err
				}
				outs = append(outs, bank.Output{To: to, Amount: amt})
			}
			opts, err := mf.options()
			if err != nil {
				return err
			}
			m, err := msg("bank/multisend", bank.MultiSendMsg{Outputs: outs})
			if err != nil {
				return err
			}
			_, err = g.broadcast(cmd, key, opts, m)
			return err
		},
	}
	mf.register(multi, false)
	return txGroup(g, bank.Name, "Token transfers", multi)
}

func newBankQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bank", Short: "Balances and supply"}
	balance := &cobra.Command{
		Use:     "balance ADDRESS|KEY",
		Short:   "Show an account's balance and nonce",
		Example: "  emergence query bank balance emg1... --node 127.0.0.1:8545 --output json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := g.addressOrKey(args[0])
			if err != nil {
				return err
			}
			acc, err := g.client().Account(cmd.Context(), addr)
			if err != nil {
				return g.nodeError(err)
			}
			return g.print(acc, func(w io.Writer) {
				fmt.Fprintf(w, "%s\n  balance %s (%d uemg)\n  nonce   %d\n", acc.Address, bank.FormatAmount(acc.Balance), acc.Balance, acc.Nonce)
			})
		},
	}
	supply := &cobra.Command{
		Use:   "supply",
		Short: "Show the total supply and the module accounts (escrows and pools)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var s bank.SupplyInfo
			if err := g.query(cmd.Context(), "bank", "supply", nil, &s); err != nil {
				return err
			}
			return g.print(s, func(w io.Writer) {
				fmt.Fprintf(w, "supply %s\n", bank.FormatAmount(s.Supply))
				for _, name := range sortedKeys(s.Modules) {
					fmt.Fprintf(w, "  %-16s %s\n", name, bank.FormatAmount(s.Modules[name]))
				}
			})
		},
	}
	cmd.AddCommand(balance, supply)
	return cmd
}

func newQueryTxCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tx HASH",
		Short: "Show a committed transaction's result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := tx.ParseHash(args[0]); err != nil {
				return errorf("a tx hash is 64 hex characters, as printed by 'emergence tx ...'", "%w", err)
			}
			r, err := g.client().Tx(cmd.Context(), args[0])
			if err != nil {
				if isNotFound(err) {
					return errorf("it may not be committed yet; retry in a moment", "no committed transaction %s", args[0])
				}
				return g.nodeError(err)
			}
			return g.print(r, func(w io.Writer) { printTxResult(w, r) })
		},
	}
}

func newQueryBlockCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "block [HEIGHT]",
		Short: "Show a block (default: the latest) with its app hash",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h int64
			if len(args) == 1 {
				var err error
				h, err = strconv.ParseInt(args[0], 10, 64)
				if err != nil || h <= 0 {
					return errorf("give a positive block height, or none for the latest", "bad height %q", args[0])
				}
			}
			b, err := g.client().Block(cmd.Context(), h)
			if err != nil {
				if isNotFound(err) {
					return errorf("see the latest height with 'emergence status'", "%w", err)
				}
				return g.nodeError(err)
			}
			return g.print(b, func(w io.Writer) {
				fmt.Fprintf(w, "block %d  %s\n  time      %s\n  txs       %d\n  app hash  %s (state after this block)\n  proposer  %s\n",
					b.Height, b.Hash, b.Time.UTC().Format("2006-01-02 15:04:05.000"), b.NumTxs, b.AppHash, b.Proposer)
				for _, h := range b.TxHashes {
					fmt.Fprintf(w, "  tx %s\n", h)
				}
			})
		},
	}
}

func isNotFound(err error) bool { return errorsIs(err, client.ErrNotFound) }
