package main

import "testing"

func TestDeviceBadFlags(t *testing.T) {
	runLabel(t, "", "device", "rewards").userErr(t, "no --epoch given")
	runLabel(t, "", "sim", "devices", "--per-strategy", "0").userErr(t, "per-strategy 0, readings 30 out of range")
}
