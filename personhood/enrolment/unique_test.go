package enrolment_test

import (
	"errors"
	"path/filepath"
	"testing"

	"emergence/personhood/enrolment"
	"emergence/personhood/iris"
	"emergence/personhood/sealbox"
)

// TestCheckGallery: a new gallery finds nobody; a recorded person's next
// capture is found as a duplicate, another person is not; the gallery
// stays sealed with its passphrase.
func TestCheckGallery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gallery.bin")
	pass := []byte("operator passphrase")
	ada1, ada2, bob := iris.SynthCapture("ada", "1"), iris.SynthCapture("ada", "2"), iris.SynthCapture("bob", "1")

	c, err := enrolment.CheckGallery(path, pass, &ada1)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Unique || c.People != 0 || len(c.Matches) != 0 {
		t.Fatalf("new gallery: %+v", c.Uniqueness)
	}
	if err := c.Record(); err != nil {
		t.Fatal(err)
	}

	c, err = enrolment.CheckGallery(path, pass, &ada2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Unique || c.People != 1 || len(c.Matches) != 1 || c.Matches[0].ID != 0 {
		t.Fatalf("second capture of a recorded person: %+v", c.Uniqueness)
	}
	c, err = enrolment.CheckGallery(path, pass, &bob)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Unique || c.People != 1 {
		t.Fatalf("another person: %+v", c.Uniqueness)
	}
	if err := c.Record(); err != nil {
		t.Fatal(err)
	}
	if c, err := enrolment.CheckGallery(path, pass, &bob); err != nil || c.Unique || c.People != 2 {
		t.Fatalf("after recording a second person: %+v, %v", c, err)
	}

	if _, err := enrolment.CheckGallery(path, []byte("wrong"), &bob); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("wrong passphrase: %v, want sealbox.ErrDecrypt", err)
	}
}
