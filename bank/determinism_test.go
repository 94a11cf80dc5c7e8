package bank_test

import (
	"testing"

	"emergence/app/apptest"
)

func TestDeterministic(t *testing.T) { apptest.CheckDeterministic(t, ".") }
