package main

import "testing"

func TestDeviceBadFlags(t *testing.T) {
	runLabel(t, "", "device", "rewards").userErr(t, "no --epoch given")
	runLabel(t, "", "sim", "devices", "--per-strategy", "0").userErr(t, "per-strategy 0, readings 30 out of range")
	runLabel(t, "", "device", "sim", "--from", "alice").userErr(t, "no --ingest given")
	runLabel(t, "", "device", "sim", "--ingest", "http://127.0.0.1:1", "--readings", "0").userErr(t, "nothing to play")
	runLabel(t, "", "ingest", "--from", "alice", "--listen", "0.0.0.0:8610").userErr(t, "is not a loopback address")
	runLabel(t, "", "ingest", "--from", "alice", "--coverage", "1,2,3").userErr(t, "want 4 numbers")
}
