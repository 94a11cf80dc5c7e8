package subnetsim

import (
	"fmt"

	"emergence/zkml/model"
)

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
