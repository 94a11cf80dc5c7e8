package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"emergence/dataset"
	"emergence/subnet"
	"emergence/subnet/classify"
	"emergence/zkml/model"
)

// loadClassifyData reads the validator's held-out items: "digits" (built
// into the binary) or a CSV file of integer features with the
// class last. With holdout set, only the test part of the same 80/20 split
// 'emergence zkml train' uses (seed 1) is kept, so miners trained by that
// command are scored on items they never saw.
func loadClassifyData(name string, holdout bool) (*model.Dataset, error) {
	d, err := dataset.Open(name)
	if err != nil {
		return nil, errorf("--data takes digits (built in) or a CSV file of integer features with the class last", "load %s: %w", name, err)
	}
	if holdout {
		_, d = d.Split(0.8, 1)
	}
	return d, nil
}

func newSubnetMinerCmd(g *globals) *cobra.Command {
	var f txFlags
	var netuid uint16
	var modelPath, listen, axon string
	var noise float64
	cmd := &cobra.Command{
		Use:   "miner --netuid N --model model.json --listen ADDR --from KEY",
		Short: "Serve a classifier for a subnet and publish its address on chain",
		Long: `Serves the classify task: POST /v1/classify {"inputs": [[...]]} answers
{"labels": [...]} with the zkml model file (see 'emergence zkml train').
The hotkey (--from) must be registered on the subnet ('emergence tx subnet
register'); the miner publishes its address (--axon, default the listen
address) with a subnet/serve transaction and runs until interrupted.

Example:
  emergence zkml train --data digits --arch 64-32-10 --out model.json
  emergence tx subnet register 0 --from miner1
  emergence subnet miner --netuid 0 --model model.json --listen 127.0.0.1:9100 --from miner1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" {
				return errorf("train one with 'emergence zkml train --out model.json'", "no --model given")
			}
			if noise < 0 || noise > 1 {
				return errorf("--noise is a fraction from 0 to 1", "noise %v out of range", noise)
			}
			m, err := model.LoadModel(modelPath)
			if err != nil {
				return errorf("check the --model path (a file written by 'emergence zkml train')", "load model: %w", err)
			}
			key, _, err := g.signer(f.from)
			if err != nil {
				return err
			}
			opts, err := f.options()
			if err != nil {
				return err
			}
			if err := g.reachNode(cmd.Context(), "miner"); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return failf("pass a free address with --listen", "listen: %w", err)
			}
			if axon == "" {
				axon = ln.Addr().String()
			}
			miner := classify.NewMiner(m, m.Shape().Classes(), noise, uint64(time.Now().UnixNano()))
			return classify.Serve(cmd.Context(), ln, miner, func(context.Context) error {
				msg, err := msg("subnet/serve", subnet.ServeMsg{NetUID: netuid, Axon: axon})
				if err != nil {
					return err
				}
				if _, err := g.broadcast(cmd, key, opts, msg); err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "miner serving subnet %d at %s (published axon %s); Ctrl-C to stop\n", netuid, ln.Addr(), axon)
				return nil
			})
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.Uint16Var(&netuid, "netuid", 0, "subnet to serve")
	fl.StringVar(&modelPath, "model", "", "zkml model file")
	fl.StringVar(&listen, "listen", "127.0.0.1:9100", "HTTP listen address")
	fl.StringVar(&axon, "axon", "", "address published on chain (default: the listen address)")
	fl.Float64Var(&noise, "noise", 0, "fraction of answers replaced by random classes (for experiments)")
	return cmd
}

func newSubnetValidatorCmd(g *globals) *cobra.Command {
	var f txFlags
	var netuid uint16
	var data string
	var sample int
	var poll time.Duration
	var all, copyW bool
	cmd := &cobra.Command{
		Use:   "validator --netuid N --data FILE|digits --from KEY",
		Short: "Score a subnet's miners every epoch and set weights by commit–reveal",
		Long: `Every epoch the validator samples --sample held-out items, queries every miner's
published address, scores chance-corrected accuracy (halved for answers slower
than a second), commits the weights and reveals them when the subnet's
reveal delay (reveal_period_epochs, default 2) has passed. It
needs a validator permit: stake on its hotkey ('emergence tx subnet stake') and
wait for an epoch. Runs until interrupted.

Example:
  emergence tx subnet register 0 --from val1
  emergence tx subnet stake 0 val1 1000emg --from val1
  emergence subnet validator --netuid 0 --data digits --from val1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := loadClassifyData(data, !all)
			if err != nil {
				return err
			}
			key, addr, err := g.signer(f.from)
			if err != nil {
				return err
			}
			if err := g.reachNode(cmd.Context(), "validator"); err != nil {
				return err
			}
			v := &classify.Validator{Client: g.client(), Key: key, NetUID: netuid, Data: d, Sample: sample, Copy: copyW, Log: g.stderr}
			fmt.Fprintf(g.stderr, "validator %s on subnet %d with %d held-out items; Ctrl-C to stop\n", addr, netuid, d.Len())
			return v.Run(cmd.Context(), poll)
		},
	}
	f.register(cmd, true)
	fl := cmd.Flags()
	fl.Uint16Var(&netuid, "netuid", 0, "subnet to validate")
	fl.StringVar(&data, "data", "digits", "labelled items: digits or a CSV file (class last)")
	fl.BoolVar(&all, "all", false, "use every item of --data, not only the 20% held out by 'zkml train'")
	fl.IntVar(&sample, "sample", 64, "items per miner and epoch")
	fl.DurationVar(&poll, "poll", time.Second, "how often to check the chain")
	fl.BoolVar(&copyW, "copy-weights", false, "copy other validators' revealed weights instead of scoring (attack demo)")
	return cmd
}
