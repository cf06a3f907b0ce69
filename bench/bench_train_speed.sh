#!/usr/bin/env bash
# Training throughput of the issue-3 MLP side by side (issue 16, part 2): PyTorch
# (bench/peers/torch_mlp.py, its training loop timed per epoch) and ours (`tradeoff train`,
# history.csv's epoch_s, which also includes our validation pass and epoch metrics),
# alternating in ROUNDS rounds of EPOCHS epochs each, THREADS threads each (OMP_NUM_THREADS,
# torch.set_num_threads). With BASE_BIN, a second `tradeoff` binary (an older build) runs
# in each round too. Reports the best and the median per-epoch samples/s of each tool
# (best-of-N: the machine may be shared), and GFLOP/s = samples/s x FLOPs per sample
# against each library's measured peak (build/bench/bench_sgemm, 1024^3, THREADS threads).
# Data: bench/out/mlp_{train,test}.h5 as bench_train.sh makes them (made here if absent).
#
# Usage: bench/bench_train_speed.sh [BUILD_DIR]     (default: build)
# Environment: ROUNDS=3 EPOCHS=2 THREADS=2 BASE_BIN=path
# Prints a markdown table on stdout (also bench/out/speed/table.md); progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
rounds=${ROUNDS:-3}
epochs=${EPOCHS:-2}
threads=${THREADS:-2}
base=${BASE_BIN:-}
py=/usr/bin/python3
out=$here/out/speed
mkdir -p "$out"
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
log() { echo "bench_train_speed: $*" >&2; }
[ -x "$bin" ] || { log "$bin missing: make build"; exit 1; }
"$py" -c 'import numpy, h5py, torch' 2>/dev/null || { log "$py lacks numpy/h5py/torch: scripts/install-deps --bench"; exit 1; }

if [ ! -f "$here/out/mlp.h5" ]; then
  log "gen $here/out/mlp.h5"
  "$bin" gen --task classification --rows 200000 --features 256 --classes 10 --informative 64 \
    --seed 2 --out "$here/out/mlp.h5" 2>/dev/null
fi
"$py" "$here/peers/split.py" "$here/out/mlp.h5" "$here/out/mlp_train.h5" "$here/out/mlp_test.h5" \
  --test-fraction 0.2 --seed 1 >&2
cat >"$out/job.ini" <<JOB
[data]
train = $here/out/mlp_train.h5
test = $here/out/mlp_test.h5
val_fraction = 0.1
seed = 1

[model]
type = mlp
hidden = 256,128
activation = relu

[optimizer]
name = adam
lr = 0.001
batch_size = 256
epochs = $epochs
l2 = 0.0001
threads = $threads

[early_stopping]
enabled = false

[checkpoint]
every_epochs = 0

[cost]
pricing = $root/configs/pricing.ini
JOB

sgemm=$build/bench/bench_sgemm
[ -x "$sgemm" ] && "$sgemm" "$threads" >"$out/sgemm.txt" 2>/dev/null || : >"$out/sgemm.txt"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
  log "round $r/$rounds: PyTorch"
  (cd "$here/peers" && "$py" torch_mlp.py "$here/out/mlp_train.h5" "$here/out/mlp_test.h5" \
    "$out/torch.$r.json" --epochs "$epochs" --threads "$threads") || log "torch_mlp.py failed"
  log "round $r/$rounds: ours"
  "$bin" train "$out/job.ini" --out "$out/ours.$r" --quiet --force 2>"$out/ours.$r.stderr" || log "ours failed"
  if [ -n "$base" ]; then
    log "round $r/$rounds: BASE_BIN"
    "$base" train "$out/job.ini" --out "$out/base.$r" --quiet --force 2>"$out/base.$r.stderr" || log "base failed"
  fi
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

"$py" - "$out" "$rounds" "$threads" "$load0" "$load1" "${base:+1}" <<'PY' | tee "$out/table.md"
import csv, json, os, statistics, sys
out, rounds, threads, load0, load1, has_base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6] == "1"
D, H1, H2, C = 256, 256, 128, 10
fps = 2 * (D * H1 + H1 * H2 + H2 * C) * 2 + 2 * (H1 * H2 + H2 * C)
peaks = {}
for line in open(os.path.join(out, "sgemm.txt")):
    kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
    if kv.get("shape") == "square":
        peaks[kv.get("lib", "openblas")] = float(kv["best_gflops"])
def ours(prefix):
    rates = []
    for r in range(1, rounds + 1):
        try:
            res = json.load(open(os.path.join(out, f"{prefix}.{r}", "result.json")))
            rows = res["data"]["train_rows"]
            with open(os.path.join(out, f"{prefix}.{r}", "history.csv")) as h:
                rates += [rows / float(e["epoch_s"]) for e in csv.DictReader(h)]
        except (OSError, ValueError, KeyError):
            pass
    return rates
def torch_rates():
    rates = []
    for r in range(1, rounds + 1):
        try:
            t = json.load(open(os.path.join(out, f"torch.{r}.json")))
            rates += [t["n_train_after_val"] / s for s in t["epoch_s"]]
        except (OSError, ValueError, KeyError):
            pass
    return rates
tools = [("PyTorch (torch_mlp.py, training loop)", torch_rates(), "onednn"),
         ("tradeoff (this build, epoch_s incl. validation)", ours("ours"), "onednn")]
if has_base:
    tools.append(("tradeoff BASE_BIN (epoch_s incl. validation)", ours("base"), "openblas"))
print(f"{rounds} rounds x {os.environ.get('EPOCHS', '2')} epochs, {threads} threads each, tools alternating; "
      f"load average {load0} at the start, {load1} at the end (a shared machine). FLOPs per sample "
      f"{fps:,}; peaks (1024^3, {threads} threads): " +
      ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in sorted(peaks.items())) + ".\n")
print("| tool | epochs measured | best samples/s | median samples/s | best GFLOP/s | % of its library's peak |")
print("|---|---:|---:|---:|---:|---:|")
best = {}
for name, rates, lib in tools:
    if not rates:
        print(f"| {name} | 0 | n/a | n/a | n/a | n/a |")
        continue
    b = max(rates)
    best[name] = b
    gf = b * fps / 1e9
    pk = peaks.get(lib)
    print(f"| {name} | {len(rates)} | {b:,.0f} | {statistics.median(rates):,.0f} | {gf:.1f} | "
          f"{f'{100 * gf / pk:.0f}' if pk else 'n/a'} ({lib}) |")
t, o = best.get(tools[0][0]), best.get(tools[1][0])
if t and o:
    print(f"\nOurs / PyTorch, best epochs: {o / t:.2f} (target >= 1.3).")
PY
