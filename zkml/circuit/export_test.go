package circuit

// InitPhase2 exposes initPhase2 to the external benchmarks.
var InitPhase2 = initPhase2
