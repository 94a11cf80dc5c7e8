package main

import (
	"emergence/app"
	"emergence/bank"
)

// chainModules returns the modules of an Emergence node, in the order their
// genesis and end-of-block work run. The bank comes first: it collects fees.
// Every node of a network must run the same list.
func chainModules() []app.Module {
	b := bank.New()
	mods := []app.Module{b}
	for _, f := range moduleFactories {
		mods = append(mods, f(b))
	}
	return mods
}

// moduleFactories add market modules after the bank; a module's file in this
// package appends its constructor from an init function. They run in file
// name order (init order), the same on every node.
var moduleFactories []func(b *bank.Bank) app.Module
