// Package chain is the one place the Emergence chain is composed: which
// modules run, in which order, which instances they share and which module
// collects transaction fees.
//
// Module order is consensus: genesis, message registration and end-of-block
// work run in it, and every validator of a network must use the same one.
// So the node command, the test harnesses (node/nodetest and apptest.Full),
// the simulations under sim/ and the benchmarks under bench/ all build
// their chain with [New], and a test pins the order.
//
// Only those may import chain. Module packages never do (a module that needs
// another declares a narrow interface in its own package and is handed the
// instance here), and neither do off-chain workers or the client.
package chain

import (
	"emergence/abciapp"
	"emergence/app"
	"emergence/bank"
	"emergence/compute"
	"emergence/data"
	"emergence/device"
	"emergence/label"
	"emergence/personhood"
	"emergence/subnet"
	"emergence/zkml"
)

// Chain is one node's set of module instances. Each app gets its own Chain:
// the instances hold caches that must not be shared between apps.
type Chain struct {
	Bank       *bank.Bank
	Label      *label.Module
	Personhood *personhood.Module
	Subnet     *subnet.Module
	ZKML       *zkml.Module
	Device     *device.Module
	Compute    *compute.Module
	Data       *data.Module
}

// New composes the chain. The bank escrows and pays for every market, and
// label reads personhood through the same personhood instance the app runs;
// label reads datasets and zkml reads datasets, labeling jobs and training
// jobs through the instances the app runs.
func New() *Chain {
	b := bank.New()
	p := personhood.New(b)
	d := data.New(b)
	l := label.New(b).WithPersonhood(p).WithDatasets(d)
	c := compute.New(b)
	// Miners declare the attested model they serve (subnet reads zkml),
	// and a model's provenance shows where it serves (zkml reads subnet).
	z := zkml.New()
	s := subnet.New(b).WithModels(z)
	return &Chain{
		Bank:       b,
		Label:      l,
		Personhood: p,
		Subnet:     s,
		// Attestations name the dataset, labeling job and training job a
		// model came from; zkml checks each against its module.
		ZKML:    z.WithLinks(zkml.Links{Datasets: d, LabelJobs: l, TrainJobs: c, Subnets: s}),
		Device:  device.New(b),
		Compute: c,
		Data:    d,
	}
}

// Modules returns the modules in the order their genesis and end-of-block
// work run: the bank first, then the markets. Appending a module at the end
// is a new network version; reordering breaks every existing chain.
func (c *Chain) Modules() []app.Module {
	return []app.Module{c.Bank, c.Label, c.Personhood, c.Subnet, c.ZKML, c.Device, c.Compute, c.Data}
}

// Fees returns the module that collects transaction fees: the bank.
func (c *Chain) Fees() app.FeeCollector { return c.Bank }

// NotFound lists the result codes that say "no such object" when a query
// fails with them: the API answers those 404 and every other coded failure
// 400.
func (c *Chain) NotFound() []app.Code {
	return []app.Code{
		app.CodeNotFound,
		label.CodeJobNotFound, label.CodeLabelerNotFound,
		subnet.CodeSubnetNotFound,
		zkml.CodeExamNotFound, zkml.CodeCircuitNotFound, zkml.CodeModelNotFound,
		personhood.CodeUnknownOperator,
		device.CodeMakerNotFound, device.CodeDeviceNotFound, device.CodeEpochNotFound, device.CodeDatasetNotFound,
		compute.CodeProviderNotFound, compute.CodeJobNotFound,
		data.CodeJobNotFound, data.CodeCrawlerNotFound, data.CodeDatasetNotFound, data.CodePageNotFound,
	}
}

// AppOptions returns app options with the chain's fee collector and logf.
func (c *Chain) AppOptions(logf func(format string, args ...any)) abciapp.Options {
	return abciapp.Options{Fees: c.Fees(), Logf: logf}
}
