package subnetsim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"emergence/bank"
	"emergence/sim/simnet"
	"emergence/zkml/model"
)

// FunderFunds is the genesis balance of the funder on a network started by
// RunNetwork.
const FunderFunds = 1_000_000 * bank.UnitsPerEMG

// RunNetwork starts a fresh single-validator network (package simnet, with
// the default emission so subnets earn), funds a funder key there, runs the
// simulation on it and stops it. cfg.Client and cfg.Funder are set here.
func RunNetwork(ctx context.Context, cfg Config, blockTime time.Duration) (*Report, error) {
	funder := KeyOf("funder")
	net, err := simnet.Start(ctx, simnet.Config{
		ChainID:   "emergence-subnetsim",
		Balances:  []bank.Output{{To: addrOf(funder), Amount: FunderFunds}},
		Reward:    addrOf(KeyOf("validator")),
		BlockTime: blockTime,
	})
	if err != nil {
		return nil, fmt.Errorf("start network: %w", err)
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "network up at %s; simulating %d epochs of %d blocks\n", net.Addr(), cfg.Epochs, cfg.Tempo)
	}
	cfg.Client, cfg.Funder = net.Client, funder
	rep, err := Run(ctx, cfg)
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

// TrainMiners trains and quantizes the miners' default classifier on
// train: one hidden layer of 32, ten epochs, a fixed seed.
func TrainMiners(train *model.Dataset) (*model.Model, error) {
	f, err := model.Train(train, []int{train.Features, 32, train.Classes}, model.TrainConfig{Epochs: 10, Seed: 1})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	salt, err := model.NewSalt()
	if err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	m, err := model.Quantize(f, model.QuantConfig{}, salt)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	return m, nil
}
