package enrolment

import (
	"fmt"
	"time"

	"emergence/personhood/iris"
)

// Uniqueness is the result of searching an operator's template gallery for
// one person (both eyes, FHD ≤ the gallery's threshold over its rotations).
type Uniqueness struct {
	Unique  bool         `json:"unique"`
	Matches []iris.Match `json:"matches,omitempty"`
	People  int          `json:"gallery_size"`
	Seconds float64      `json:"seconds"`
}

// Check is a uniqueness check of one person against an operator's
// encrypted gallery, kept open until the person's enrolment commits on
// chain, when Record adds them to the gallery.
type Check struct {
	Uniqueness
	path   string
	pass   []byte
	x      *iris.Index
	person *iris.Person
}

// CheckGallery opens the gallery at path with its passphrase (a missing
// file is a new, empty gallery) and searches it for person p. It returns
// the errors of iris.OpenGallery (a wrong passphrase wraps
// sealbox.ErrDecrypt).
func CheckGallery(path string, pass []byte, p *iris.Person) (*Check, error) {
	x, err := iris.OpenGallery(path, pass)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	matches, _ := x.Search(p)
	return &Check{
		Uniqueness: Uniqueness{Unique: len(matches) == 0, Matches: matches, People: x.Len(), Seconds: time.Since(start).Seconds()},
		path:       path, pass: pass, x: x, person: p,
	}, nil
}

// Record adds the checked person to the gallery and saves it, encrypted
// with the same passphrase. Call it once the enrolment has committed: a
// person recorded without an enrolment would be refused as a duplicate.
func (c *Check) Record() error {
	c.x.Add(c.person)
	if err := iris.SaveGallery(c.path, c.x, c.pass); err != nil {
		return fmt.Errorf("save gallery %s: %w", c.path, err)
	}
	return nil
}
