package chain_test

import (
	"path/filepath"
	"slices"
	"testing"

	"emergence/abciapp"
	"emergence/app"
	"emergence/chain"
	"emergence/store/pebblestore"
)

// TestModuleOrder pins the module order: it is consensus, so changing it
// breaks every existing network. Append new modules at the end.
func TestModuleOrder(t *testing.T) {
	var got []string
	for _, m := range chain.New().Modules() {
		got = append(got, m.Name())
	}
	if want := []string{"bank", "label", "personhood", "subnet", "zkml", "device", "compute", "data"}; !slices.Equal(got, want) {
		t.Fatalf("module order %q, want %q", got, want)
	}
}

// TestSharedInstances checks that label reads personhood through the
// instance the app runs, and that the bank collects the fees.
func TestSharedInstances(t *testing.T) {
	c := chain.New()
	if got := c.Label.Personhood(); got != c.Personhood {
		t.Fatalf("label's personhood is %p, the registered personhood module is %p", got, c.Personhood)
	}
	mods := c.Modules()
	if !slices.Contains(mods, app.Module(c.Personhood)) {
		t.Fatal("the personhood module label reads is not registered")
	}
	if c.Fees() != app.FeeCollector(c.Bank) {
		t.Fatal("fees are not collected by the registered bank")
	}
	if c2 := chain.New(); c2.Personhood == c.Personhood || c2.ZKML == c.ZKML {
		t.Fatal("two chains share module instances")
	}
}

// TestAppAcceptsChain builds the real app over the composed chain: names,
// message kinds and result codes do not collide.
func TestAppAcceptsChain(t *testing.T) {
	st, err := pebblestore.Open(filepath.Join(t.TempDir(), "app"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := chain.New()
	a, err := abciapp.New(st, c.AppOptions(t.Logf), c.Modules()...)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.Codes()) == 0 {
		t.Fatal("the composed app reports no result codes")
	}
}
