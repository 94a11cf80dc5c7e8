package circuit

// Contributions lists every contribution so far, in the order they were
// made: phase 1, phase 2 (and, for an inference ceremony, phase 2 of the
// link circuit), phase 3.
func (c *Ceremony) Contributions() []Contribution {
	return append(append(append(append([]Contribution(nil), c.Phase1...), c.Phase2...), c.Phase2Link...), c.Phase3...)
}

// ClosingWritesKeys reports whether finalizing the current phase ends the
// ceremony and so writes the keys: phase 2 of an exam ceremony, phase 3 of
// an inference ceremony.
func (c *Ceremony) ClosingWritesKeys() bool {
	return c.Phase == 3 || (c.Phase == 2 && c.Kind != KindInference)
}
