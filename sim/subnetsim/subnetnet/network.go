// Package subnetnet runs the subnet simulation of package subnetsim on a
// fresh single-validator network it boots (package simnet). It is the one
// part of the simulation that links the node, so the agents in subnetsim
// stay as light as the workers they stand for.
package subnetnet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"emergence/bank"
	"emergence/sim/simnet"
	"emergence/sim/subnetsim"
	"emergence/tx"
)

// FunderFunds is the genesis balance of the funder on a network started by
// RunNetwork.
const FunderFunds = 1_000_000 * bank.UnitsPerEMG

// RunNetwork starts a fresh single-validator network (package simnet, with
// the default emission so subnets earn), funds a funder key there, runs the
// simulation on it and stops it. cfg.Client and cfg.Funder are set here.
func RunNetwork(ctx context.Context, cfg subnetsim.Config, blockTime time.Duration) (*subnetsim.Report, error) {
	funder := subnetsim.KeyOf("funder")
	net, err := simnet.Start(ctx, simnet.Config{
		ChainID:   "emergence-subnetsim",
		Balances:  []bank.Output{{To: addrOf(funder), Amount: FunderFunds}},
		Reward:    addrOf(subnetsim.KeyOf("validator")),
		BlockTime: blockTime,
	})
	if err != nil {
		return nil, fmt.Errorf("start network: %w", err)
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "network up at %s; simulating %d epochs of %d blocks\n", net.Addr(), cfg.Epochs, cfg.Tempo)
	}
	cfg.Client, cfg.Funder = net.Client, funder
	rep, err := subnetsim.Run(ctx, cfg)
	if err == nil {
		err = net.Node.App().CheckInvariants()
	}
	if cerr := net.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("stop network: %w", cerr))
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func addrOf(k ed25519.PrivateKey) tx.Address {
	return tx.AddressFromPubKey(k.Public().(ed25519.PublicKey))
}
