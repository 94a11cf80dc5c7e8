package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"emergence/zkml/circuit"
)

// newZKMLPhase1Cmd is "emergence zkml ceremony phase1": a phase-1-only
// (powers of tau) ceremony for no circuit, from which each circuit's
// ceremony starts its phase 2 ('zkml ceremony init --phase1 DIR').
func newZKMLPhase1Cmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "phase1",
		Short: "A universal phase 1 (powers of tau) for every circuit up to a size",
		Long: `Run phase 1 of the Groth16 MPC setup (powers of tau) alone, for a domain of
2^K constraints and no circuit. Each circuit whose domain fits then runs
only its own phase 2 from it:

  emergence zkml ceremony phase1 init --power 14 --dir ptau/
  emergence zkml ceremony phase1 contribute --dir ptau/   # each participant, in turn
  emergence zkml ceremony phase1 verify --dir ptau/       # anyone, at any time
  emergence zkml ceremony phase1 seal --dir ptau/ --beacon HEX [--lagrange 8192,16384]
  emergence zkml ceremony init --circuit exam --model model.json --exam exam.json --dir cer/ --phase1 ptau/

--lagrange writes, at the seal, the Lagrange bases of those domains, the
costliest step of starting a circuit's phase 2; a circuit of another
domain computes its own on first use and caches them in the phase-1
directory for the next circuit of that domain (each init checks them).`,
	}
	var dir, beacon, lagrange string
	var power int
	open := func() (*circuit.Ceremony, error) {
		c, err := circuit.OpenCeremony(dir)
		if err != nil {
			return nil, errorf("pass --dir of a phase 1 started with 'zkml ceremony phase1 init'", "%w", err)
		}
		if c.Kind != circuit.KindPowers {
			return nil, errorf("use 'zkml ceremony contribute|verify|finalize' for a circuit's ceremony", "%s is a %s ceremony, not a phase-1-only one", dir, c.Kind)
		}
		c.Log = g.stderr
		return c, nil
	}
	init := &cobra.Command{
		Use: "init --power K --dir DIR", Short: "Start a phase-1-only ceremony for a domain of 2^K",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			zkmlQuiet()
			if power < circuit.PowersMin || power > circuit.PowersMax {
				return errorf(fmt.Sprintf("pass --power from %d to %d: the domain 2^K must hold your largest circuit's constraints", circuit.PowersMin, circuit.PowersMax),
					"--power %d is out of range", power)
			}
			if avail, ok := memAvailable(); ok && circuit.PowersMemory(power) > avail {
				return errorf(fmt.Sprintf("pass a smaller --power, or run on a machine with at least %d MiB free", circuit.PowersMemory(power)>>20),
					"a phase 1 of 2^%d needs about %d MiB of memory, this machine has %d MiB available", power, circuit.PowersMemory(power)>>20, avail>>20)
			}
			c, err := circuit.PowersInit(dir, power)
			if err != nil {
				return errorf("use a new directory", "%w", err)
			}
			return g.print(c, func(w io.Writer) {
				fmt.Fprintf(w, "phase 1 %s: domain 2^%d (%d); open for contributions\n", dir, power, c.Domain)
			})
		},
	}
	init.Flags().IntVar(&power, "power", 0, "K of the domain 2^K (circuits of up to 2^K constraints)")
	contribute := ceremonyStep("contribute --dir DIR", "Add your contribution", open,
		func(c *circuit.Ceremony) error { return ceremonyContribute(g, c) })
	verify := ceremonyStep("verify --dir DIR", "Check every contribution (and, once sealed, the seal and its Lagrange bases)", open,
		func(c *circuit.Ceremony) error {
			n, err := ceremonyVerify(c)
			if err != nil {
				return err
			}
			res := map[string]any{"valid": true, "contributions": n, "sealed": c.Finalized, "domain": c.Domain, "phase1": c.Phase1, "lagrange": c.Lagrange}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "%d contributions valid (phase 1 of 2^%d", n, c.Power())
				if c.Finalized {
					fmt.Fprintf(w, ", sealed with beacon %s, Lagrange bases for %d domains", c.Beacon1, len(c.Lagrange))
				}
				fmt.Fprintln(w, ")")
				for _, ct := range c.Phase1 {
					fmt.Fprintf(w, "  %s  %s\n", ct.File, ct.SHA256)
				}
			})
		})
	seal := ceremonyStep("seal --dir DIR --beacon HEX [--lagrange N,N...]", "Close phase 1 with a public beacon", open,
		func(c *circuit.Ceremony) error {
			b, err := parseBeacon(beacon)
			if err != nil {
				return err
			}
			var domains []uint64
			for _, f := range strings.FieldsFunc(lagrange, func(r rune) bool { return r == ',' || r == ' ' }) {
				n, err := strconv.ParseUint(f, 10, 64)
				if err != nil {
					return errorf("pass --lagrange as domain sizes, for example 8192,16384", "bad --lagrange %q", lagrange)
				}
				domains = append(domains, n)
			}
			err = c.SealPowers(b, domains)
			if errors.Is(err, circuit.ErrBeacon) {
				return errorf("draw a fresh public random value after the last contribution (a drand round, or a later block's hash on a devnet)", "%w", err)
			}
			if errors.Is(err, circuit.ErrPowers) {
				return errorf(fmt.Sprintf("pass --lagrange powers of two up to %d", c.Domain), "%w", err)
			}
			if err != nil {
				return err
			}
			return g.print(map[string]any{"sealed": true, "domain": c.Domain, "lagrange": c.Lagrange}, func(w io.Writer) {
				fmt.Fprintf(w, "phase 1 of 2^%d sealed with %d contributions; circuits start from it with 'zkml ceremony init --phase1 %s'\n", c.Power(), len(c.Phase1), dir)
			})
		})
	seal.Flags().StringVar(&beacon, "beacon", "", "public random beacon, hex")
	seal.Flags().StringVar(&lagrange, "lagrange", "", "domain sizes whose Lagrange bases to write now, comma-separated")
	for _, sub := range []*cobra.Command{init, contribute, verify, seal} {
		sub.Flags().StringVar(&dir, "dir", "ptau", "phase-1 ceremony directory")
	}
	cmd.AddCommand(init, contribute, verify, seal)
	return cmd
}

// memAvailable reads MemAvailable from /proc/meminfo; ok is false where
// there is none (the size check is then left to the run).
func memAvailable() (avail uint64, ok bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(fs[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}

// parseBeacon reads a ceremony's closing beacon: at least 16 bytes of public
// randomness in hex, with or without 0x.
func parseBeacon(beacon string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(beacon, "0x"))
	if err != nil || len(b) < 16 {
		return nil, errorf("pass --beacon as at least 32 hex digits of public randomness", "bad beacon %q", beacon)
	}
	return b, nil
}
