package aggregate

import "fmt"

// Eval scores predicted labels against true labels.
type Eval struct {
	// Accuracy is Correct/Evaluated, 0 when no predicted item has a truth.
	Accuracy float64 `json:"accuracy"`
	Correct  int     `json:"correct"`
	// Evaluated counts the predicted items that have a truth.
	Evaluated int `json:"evaluated"`
	// Predicted counts the distinct predicted items, Truth the truth rows.
	Predicted int `json:"predicted"`
	Truth     int `json:"truth"`
}

// DuplicateError is a prediction list that gives one item two labels.
type DuplicateError struct{ Item string }

func (e *DuplicateError) Error() string { return fmt.Sprintf("item %q predicted twice", e.Item) }

// Evaluate scores pred (one label per item; an item may repeat with the
// same label) against truth, on the items both name.
func Evaluate(pred, truth []Truth) (Eval, error) {
	byItem := make(map[string]string, len(pred))
	for _, p := range pred {
		if prev, ok := byItem[p.Item]; ok && prev != p.Label {
			return Eval{}, &DuplicateError{Item: p.Item}
		}
		byItem[p.Item] = p.Label
	}
	res := Eval{Predicted: len(byItem), Truth: len(truth)}
	for _, t := range truth {
		p, ok := byItem[t.Item]
		if !ok {
			continue
		}
		res.Evaluated++
		if p == t.Label {
			res.Correct++
		}
	}
	if res.Evaluated > 0 {
		res.Accuracy = float64(res.Correct) / float64(res.Evaluated)
	}
	return res, nil
}
