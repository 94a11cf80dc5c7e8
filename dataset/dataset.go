// Package dataset holds the small labelled data sets built into the binary,
// so that commands taking --data digits work from any directory and on a
// machine without the repository.
//
// Digits is the UCI optical recognition of handwritten digits set as
// scikit-learn ships it: 1,797 8×8 images with pixel values 0..16, ten
// classes, one CSV row per image with the class last.
package dataset

import (
	"bytes"
	_ "embed"
	"fmt"

	"emergence/zkml/model"
)

//go:embed digits.csv.gz
var digitsCSV []byte

// DigitsMaxValue is the largest feature value of Digits.
const DigitsMaxValue = 16

// Names lists the built-in data sets.
var Names = []string{"digits"}

// Digits returns the built-in digits data set.
func Digits() (*model.Dataset, error) {
	d, err := model.ReadCSV(bytes.NewReader(digitsCSV), DigitsMaxValue)
	if err != nil {
		return nil, fmt.Errorf("built-in digits: %w", err)
	}
	return d, nil
}

// Builtin returns the built-in data set called name, and false when there is
// none of that name.
func Builtin(name string) (*model.Dataset, bool, error) {
	switch name {
	case "digits":
		d, err := Digits()
		return d, true, err
	}
	return nil, false, nil
}
