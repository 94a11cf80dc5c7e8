// Package trainer is the compute market's built-in training job: the
// project's MLP trainer (zkml/model, the zkml model format) as a program
// that runs the same inside the sandbox (GOOS=wasip1 GOARCH=wasm, package
// cmd/trainer) and natively (for benchmarks and checks).
//
// A run reads a data set (a CSV file of integer features with the class
// last, gzip allowed, or the built-in "digits"), splits it 80/20 as
// `emergence zkml train` does, trains with the seed, quantizes with a salt
// derived from the seed and writes model.json (the zkml model file) and
// summary.json to the output directory. Everything is a function of the
// data and the flags, so replicas write the same bytes: the model file's
// blob hash and its commitment are what a zkml attestation names as
// "trained by job N".
//
// The model file holds the weights and the salt, and compute outputs are
// public blobs: a model trained by a job is public. Train locally with
// `emergence zkml train` to keep weights private.
package trainer

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"emergence/compute/wasmopt"
	"emergence/dataset"
	"emergence/zkml/model"
)

// Output file names.
const (
	ModelFile   = "model.json"
	SummaryFile = "summary.json"
)

// Options are a training run's settings (the program's flags).
type Options struct {
	// Data is a CSV path or "digits".
	Data string
	// Arch is the layer sizes, e.g. "64-32-10".
	Arch       string
	Seed       uint64
	Epochs     int
	WeightBits int
	ActBits    int
	// MaxValue bounds CSV features (0: the largest seen).
	MaxValue int64
	// Out is the output directory.
	Out string
}

// Summary is summary.json: what the run made and how well it scores.
type Summary struct {
	Arch              string  `json:"arch"`
	Seed              uint64  `json:"seed"`
	Epochs            int     `json:"epochs"`
	TrainSamples      int     `json:"train_samples"`
	TestSamples       int     `json:"test_samples"`
	FloatAccuracy     float64 `json:"float_accuracy"`
	QuantizedAccuracy float64 `json:"quantized_accuracy"`
	Correct           int     `json:"correct"`
	// Commitment is the model's weight commitment (hex field element).
	Commitment string `json:"commitment"`
}

// ParseArgs parses the program's arguments.
func ParseArgs(args []string) (Options, error) {
	fs := flag.NewFlagSet("trainer", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	fs.StringVar(&o.Data, "data", "/in/0", "CSV data set (features then class) or digits")
	fs.StringVar(&o.Arch, "arch", "64-32-10", "layer sizes")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of initialization, shuffling and salt")
	fs.IntVar(&o.Epochs, "epochs", 20, "training epochs")
	fs.IntVar(&o.WeightBits, "weight-bits", 8, "signed width of quantized weights")
	fs.IntVar(&o.ActBits, "act-bits", 16, "target width of hidden activations")
	fs.Int64Var(&o.MaxValue, "max-value", 0, "largest CSV feature value (0: largest seen)")
	fs.StringVar(&o.Out, "out", "/out", "output directory")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.Epochs < 1 || o.Epochs > 10000 {
		return o, fmt.Errorf("epochs %d: want 1 to 10000", o.Epochs)
	}
	return o, nil
}

// Args renders o as the program's arguments (the inverse of ParseArgs).
func (o Options) Args() []string {
	return []string{"--data", o.Data, "--arch", o.Arch, "--seed", fmt.Sprint(o.Seed), "--epochs", fmt.Sprint(o.Epochs),
		"--weight-bits", fmt.Sprint(o.WeightBits), "--act-bits", fmt.Sprint(o.ActBits),
		"--max-value", fmt.Sprint(o.MaxValue), "--out", o.Out}
}

// Salt derives the model's salt from the seed: a job's replicas must make
// the same commitment.
func Salt(seed uint64) model.Salt {
	h := sha256.New()
	h.Write([]byte("emergence/compute/trainer/salt/v1\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, seed))
	return model.SaltFromBytes(h.Sum(nil))
}

// Train runs a training job and writes its outputs; progress (epoch and
// loss, nothing that depends on the host) goes to log.
func Train(o Options, log io.Writer) (*Summary, error) {
	sizes, err := model.ParseArch(o.Arch)
	if err != nil {
		return nil, err
	}
	train, test, err := dataset.Load(o.Data, filepath.Dir(o.Data), o.MaxValue)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", o.Data, err)
	}
	cfg := model.DefaultTrainConfig()
	cfg.Epochs, cfg.Seed = o.Epochs, o.Seed
	cfg.Progress = func(ep int, loss float64) { fmt.Fprintf(log, "epoch %d/%d loss %.6f\n", ep, o.Epochs, loss) }
	recipe := model.Recipe{Data: filepath.Base(o.Data), Arch: o.Arch, Sizes: sizes, Train: cfg,
		Quant: model.QuantConfig{WeightBits: o.WeightBits, ActBits: o.ActBits}}
	tr, err := model.TrainQuantized(train, test, recipe, Salt(o.Seed))
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(tr.Model, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.Out, ModelFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write model: %w", err)
	}
	s := &Summary{Arch: o.Arch, Seed: o.Seed, Epochs: o.Epochs, TrainSamples: train.Len(), TestSamples: test.Len(),
		FloatAccuracy: tr.FloatAccuracy, QuantizedAccuracy: tr.QuantAccuracy, Correct: tr.Correct, Commitment: tr.Model.Commitment}
	sb, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, SummaryFile), append(sb, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write summary: %w", err)
	}
	return s, nil
}

// Main is the program: it returns the exit code (0 ok, 2 bad arguments,
// 1 failed run).
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, "trainer:", err)
		return 2
	}
	s, err := Train(o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "trainer:", err)
		return 1
	}
	fmt.Fprintf(stdout, "quantized accuracy %d/%d commitment %s\n", s.Correct, s.TestSamples, s.Commitment)
	return 0
}

// Package is the import path of the trainer program.
const Package = "emergence/compute/trainer/cmd/trainer"

// ErrNoSource is returned by Build when dir is not inside the emergence
// module's source tree.
var ErrNoSource = errors.New("not in the emergence source tree")

// Build compiles the trainer program to WebAssembly (GOOS=wasip1
// GOARCH=wasm, the environment [wasmopt.GoEnv]) with the Go toolchain, from
// the emergence module that contains dir, rewrites its memory accesses with
// [wasmopt.Rewrite] (so that wazero checks bounds once per run of code, not
// once per access) and returns the module bytes. The build is reproducible
// (-trimpath, no VCS stamp, a deterministic rewrite), so every requester
// building the same source with the same toolchain uploads the same blob;
// Go's build cache makes a repeated build cheap. The .wasm is never committed: it is a build output.
func Build(ctx context.Context, dir string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}} {{.Dir}}")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: go list -m in %s: %w", ErrNoSource, dir, err)
	}
	path, root, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if path != "emergence" {
		return nil, fmt.Errorf("%w: %s is in module %q", ErrNoSource, dir, path)
	}
	tmp, err := os.MkdirTemp("", "emergence-trainer-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	wasm := filepath.Join(tmp, "trainer.wasm")
	cmd = exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-o", wasm, Package)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), wasmopt.GoEnv...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s for wasip1: %w\n%s", Package, err, msg)
	}
	mod, err := os.ReadFile(wasm)
	if err != nil {
		return nil, err
	}
	mod, _, err = wasmopt.Rewrite(mod)
	if err != nil {
		return nil, fmt.Errorf("optimize %s: %w", Package, err)
	}
	return mod, nil
}
