package trainer_test

import (
	"emergence/dataset"
	"emergence/zkml/model"
)

func loadDigits() (*model.Dataset, bool, error) { return dataset.Builtin("digits") }
