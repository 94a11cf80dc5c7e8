package circuit

// InitPhase2 exposes initPhase2 to the external benchmarks.
var InitPhase2 = initPhase2

// EnvInt exposes envInt (a benchmark's positive integer setting) to the
// external benchmarks.
var EnvInt = envInt
