package dataset

import (
	"fmt"
	"os"
	"path/filepath"

	"emergence/zkml/model"
)

// DirEnv is the environment variable that names the directory of data sets
// that are not built in.
const DirEnv = "EMERGENCE_DATASETS"

// Dir is the directory named data sets are looked up in: flag when it is
// set, else $EMERGENCE_DATASETS, else ./testdata.
func Dir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	return "testdata"
}

// Load loads a named data set (digits, built in, or fashion-mnist under
// dir) or a CSV file of integer features with the class last, and returns
// its train and test parts. digits and CSV files are split 80/20 with a
// fixed seed; fashion-mnist uses its own train and test files. maxValue is
// the largest feature value of a CSV file (0: the largest seen).
func Load(name, dir string, maxValue int64) (train, test *model.Dataset, err error) {
	switch name {
	case "digits":
		d, err := Digits()
		if err != nil {
			return nil, nil, err
		}
		train, test = d.Split(0.8, 1)
		return train, test, nil
	case "fashion-mnist":
		fm := filepath.Join(dir, "fashion-mnist")
		train, err = model.ReadIDXFiles(filepath.Join(fm, "train-images-idx3-ubyte.gz"), filepath.Join(fm, "train-labels-idx1-ubyte.gz"))
		if err == nil {
			test, err = model.ReadIDXFiles(filepath.Join(fm, "t10k-images-idx3-ubyte.gz"), filepath.Join(fm, "t10k-labels-idx1-ubyte.gz"))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("load fashion-mnist: %w", err)
		}
		return train, test, nil
	default:
		d, err := model.ReadCSVFile(name, maxValue)
		if err != nil {
			return nil, nil, err
		}
		train, test = d.Split(0.8, 1)
		return train, test, nil
	}
}

// Open returns the built-in data set called name, or else the CSV file at
// path name (integer features, the class last, the largest value seen as
// the features' bound), whole.
func Open(name string) (*model.Dataset, error) {
	if d, ok, err := Builtin(name); ok {
		return d, err
	}
	return model.ReadCSVFile(name, 0)
}
