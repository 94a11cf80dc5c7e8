#!/usr/bin/env bash
# Real keys for the Fashion-MNIST accuracy proof, attested on a devnet.
#
#   ZKML_FASHION_DIR=DIR zkml/scripts/fashion-devnet.sh OUT
#
# ZKML_FASHION_DIR (required) holds the four Fashion-MNIST IDX .gz files.
# ZKML_EXAM_N (default 10000) sizes the exam; EMERGENCE_API (default
# 127.0.0.1:8745) is the devnet's API address.
#
# 1. BenchmarkExamFashionKeys trains the 784-32-10 model, compiles the exam
#    circuit, makes real one-party Groth16 keys, proves and verifies, and
#    keeps OUT/keys, OUT/model.json and OUT/proof.json. Skipped when
#    OUT/keys/circuit.json exists: the full-size setup takes about 20 CPU minutes
#    (1,163 s measured) and 6 GiB of memory, and pk.bin is 1.6 GiB.
# 2. A devnet under OUT/devnet; 'emergence zkml prove' proves the model's
#    score again with those keys, bound to alice; 'zkml verify', 'tx zkml
#    register' (the exam's verifying key under its name, digest, size and
#    shape), 'tx zkml attest' and 'query zkml leaderboard'. The devnet is
#    stopped at the end.
set -euo pipefail

out=${1:?usage: ZKML_FASHION_DIR=DIR $0 OUT}
: "${ZKML_FASHION_DIR:?set ZKML_FASHION_DIR to the directory of the four Fashion-MNIST IDX .gz files}"
api=${EMERGENCE_API:-127.0.0.1:8745}
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

step "building emergence"
(cd "$repo" && go build -o "$out/emergence" ./cmd/emergence)
E=("$out/emergence")

if [ -f "$out/keys/circuit.json" ]; then
	step "keeping the keys in $out/keys (remove the directory to make new ones)"
else
	step "BenchmarkExamFashionKeys: train, compile, one-party setup, prove, verify"
	(cd "$repo" && ZKML_FASHION_OUT="$out" go test -run XXX -bench ExamFashionKeys -benchtime 1x -timeout 3h ./zkml/circuit) |
		tee "$out/bench.txt"
fi

home="$out/devnet"
step "starting a devnet at $api (home $home)"
rm -rf "$home"
"${E[@]}" devnet --home "$home" --api "$api" --block-time 500ms >"$out/devnet.log" 2>&1 &
devnet=$!
trap 'kill "$devnet" 2>/dev/null; wait "$devnet" 2>/dev/null || true' EXIT
C=("${E[@]}" --home "$home" --keyring-backend test)
for i in $(seq 1 120); do
	if "${C[@]}" status >/dev/null 2>&1; then break; fi
	if ! kill -0 "$devnet" 2>/dev/null; then cat "$out/devnet.log"; exit 1; fi
	[ "$i" = 120 ] && { echo "devnet did not answer in 120 s" >&2; exit 1; }
	sleep 1
done

step "proving the model's score for alice with the real keys"
T=()
[ -x /usr/bin/time ] && T=(/usr/bin/time -v) # peak RSS and CPU time of the prover
"${T[@]}" "${E[@]}" zkml prove --model "$out/model.json" --keys "$out/keys" --out "$out/proof-alice.json" \
	--submitter alice --home "$home" --keyring-backend test 2> >(tee "$out/prove-alice.txt" >&2)

step "verifying offline"
"${E[@]}" zkml verify --keys "$out/keys" --proof "$out/proof-alice.json"

step "registering the exam"
"${C[@]}" tx zkml register --keys "$out/keys" --from alice | tee "$out/register.txt"
exam=$(sed -n 's/.*zkml\/register id=\([0-9]*\).*/\1/p' "$out/register.txt")
[ -n "$exam" ] || { echo "no exam id in the register output" >&2; exit 1; }

step "attesting exam $exam"
"${C[@]}" tx zkml attest --exam "$exam" --proof "$out/proof-alice.json" --from alice | tee "$out/attest.txt"

step "leaderboard of exam $exam"
"${C[@]}" query zkml leaderboard "$exam" | tee "$out/leaderboard.txt"
claim=$(sed -n 's/.*"claim": *\([0-9]*\).*/\1/p' "$out/proof-alice.json" | head -1)
grep -q "$claim/" "$out/leaderboard.txt" || { echo "the leaderboard lacks the claim $claim" >&2; exit 1; }
step "done: exam $exam, claim $claim on the leaderboard"
