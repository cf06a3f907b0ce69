#!/usr/bin/env bash
# 2 ranks x 1 thread against 1 rank x 2 threads (issue 16, part 4), side by side, on the
# MLP benchmark of issue 3 (`tradeoff gen` 200,000 x 256, 10 classes, seed 2;
# configs/mlp.ini: hidden 256,128 relu, adam, global batch 256), today's path
# (optimizer.rank_invariant = false):
#
#  1. REPEATS interleaved rounds of: 1x1; 1x2 (`--bind-to none`, as bench_scaling.sh);
#     2x1 with optimizer.sharded_update = false (the gradient allreduce, every rank
#     updates every parameter); 2x1 with sharded_update = true (reduce-scatter, each rank
#     updates half, allgather). EPOCHS epochs each, early stopping and checkpoints off.
#  2. TRACES interleaved pairs of 2x1 runs (allreduce, sharded) under bench/mpi_trace
#     (PMPI, preloaded): every collective's entry and exit on both ranks, summarized by
#     bench/mpi_trace_summary.py (waiting for the other rank vs the collective's own
#     work, the step's compute between gradient collectives, and the step period: its
#     median is a typical step's critical path, robust to the preemptions of a shared
#     machine). The table keeps, per kind, the traced run with the shortest period.
#  3. (after 4) Whether an overlap of the allreduce with the backward pass would pay:
#     build/bench/bench_overlap_probe (the step's last backward GEMMs with a blocking
#     allreduce after them, or with layers 1-2's MPI_Iallreduce in flight and MPI_Test
#     between GEMM slices), and the allreduce alone: build/bench/bench_allreduce.
# Prints a markdown table on stdout (also OUT/table.md): samples/s best and mean, the
# ratio of each layout's best to 1x2's best, and the communication share of rank 0
# (result.json time.comm_s / time.train_s) and of the slower rank (parallel.per_rank).
#
# Usage: bench/bench_overlap.sh [BUILD_DIR]    (default build; needs tradeoff,
#        bench/libmpi_trace.so and bench/bench_allreduce: make build)
# Environment: REPEATS=5 TRACES=3 EPOCHS=3 OUT=bench/out/overlap MPIRUN=mpirun
#              MPIRUN_ARGS=--oversubscribe
# Python: /usr/bin/python3 (standard library only). About 4 minutes on a quiet machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
tracer=$build/bench/libmpi_trace.so
reps=${REPEATS:-5}
traces=${TRACES:-3}
epochs=${EPOCHS:-3}
out=${OUT:-$here/out/overlap}
mpirun=${MPIRUN:-mpirun}
read -r -a mpi_args <<<"${MPIRUN_ARGS:---oversubscribe}"
data=$here/out/mlp.h5
py=/usr/bin/python3
log() { echo "bench_overlap: $*" >&2; }

for f in "$bin" "$tracer" "$build/bench/bench_allreduce" "$build/bench/bench_overlap_probe"; do
  [ -e "$f" ] || { log "$f missing: make build"; exit 1; }
done
command -v "$mpirun" >/dev/null || { log "$mpirun not found (Open MPI)"; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
if [ ! -f "$data" ]; then
  log "gen $data"
  "$bin" gen --task classification --rows 200000 --features 256 --classes 10 \
    --informative 64 --seed 2 --out "$data" >/dev/null
fi
rm -rf "$out"
mkdir -p "$out/runs"
cd "$root"

# $1 name, $2 ranks, $3 threads, $4 extra mpirun options ("" for none), rest: --set ...
train() {
  local name=$1 ranks=$2 threads=$3 extra=$4
  shift 4
  local -a xo=()
  [ -n "$extra" ] && read -r -a xo <<<"$extra"
  local cmd=("$mpirun" -n "$ranks" "${mpi_args[@]}" "${xo[@]}" -x OMP_NUM_THREADS="$threads"
    -x OPENBLAS_NUM_THREADS="$threads" "$bin" train configs/mlp.ini --quiet --force
    --out "$out/runs/$name" --set data.train="$data" --set optimizer.threads="$threads"
    --set optimizer.epochs="$epochs" --set early_stopping.enabled=false
    --set checkpoint.every_epochs=0 "$@")
  log "$name: ${cmd[*]#$root/}"
  echo "$name: ${cmd[*]}" >>"$out/commands.txt"
  "${cmd[@]}" >"$out/runs/$name.log" 2>&1 || { log "$name failed:"; cat "$out/runs/$name.log" >&2; exit 1; }
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) cores)"
  echo "mpi: $("$mpirun" --version 2>/dev/null | head -1)"
  echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "repeats: $reps, epochs: $epochs"
} >"$out/meta.txt"

for r in $(seq 1 "$reps"); do
  train "1x1-r$r" 1 1 ""
  train "1x2-r$r" 1 2 "--bind-to none"
  train "2x1-allreduce-r$r" 2 1 "" --set cost.nodes=2 --set optimizer.sharded_update=false
  train "2x1-sharded-r$r" 2 1 "" --set cost.nodes=2 --set optimizer.sharded_update=true
done
for t in $(seq 1 "$traces"); do
  for kind in allreduce sharded; do
    mkdir -p "$out/trace-$kind-$t"
    train "2x1-$kind-traced-$t" 2 1 "-x LD_PRELOAD=$tracer -x MPI_TRACE_DIR=$out/trace-$kind-$t" \
      --set cost.nodes=2 --set optimizer.sharded_update=$([ $kind = sharded ] && echo true || echo false)
    "$py" "$here/mpi_trace_summary.py" "$out/trace-$kind-$t" --json "$out/trace-$kind-$t.json" \
      >"$out/trace-$kind-$t.md"
  done
done
# 4. step compute at 256, 32, 8 and 2 rows per rank (the rows of 1, 8, 32 and 128 ranks at
#    a global batch of 256), from traced 2-rank runs of one epoch (allreduce path: the
#    whole update on each rank), for the projection
for b in 512 64 16 4; do
  mkdir -p "$out/trace-b$b"
  train "2x1-b$b-traced" 2 1 "-x LD_PRELOAD=$tracer -x MPI_TRACE_DIR=$out/trace-b$b" \
    --set cost.nodes=2 --set optimizer.sharded_update=false --set optimizer.batch_size=$b --set optimizer.epochs=1
  "$py" "$here/mpi_trace_summary.py" "$out/trace-b$b" --json "$out/trace-b$b.json" >/dev/null
done

probe=("$mpirun" -n 2 "${mpi_args[@]}" -x OPENBLAS_NUM_THREADS=1 "$build/bench/bench_overlap_probe" 2000)
for slices in 1 4; do
  log "probe: ${probe[*]#$root/} $slices"
  echo "probe: ${probe[*]} $slices" >>"$out/commands.txt"
  "${probe[@]}" "$slices" >>"$out/probe.txt"
done
echo "allreduce: $mpirun -n 2 ${mpi_args[*]} $build/bench/bench_allreduce 0.25" >>"$out/commands.txt"
"$mpirun" -n 2 "${mpi_args[@]}" "$build/bench/bench_allreduce" 0.25 >"$out/allreduce.csv"
echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.txt"

"$py" - "$out" "$reps" <<'PY' | tee "$out/table.md"
import json, sys
out, reps = sys.argv[1], int(sys.argv[2])
print(open(f"{out}/meta.txt").read())
rows = [("1x1", "1 rank x 1 thread"), ("1x2", "1 rank x 2 threads"),
        ("2x1-allreduce", "2 ranks x 1 thread, allreduce (sharded_update = false)"),
        ("2x1-sharded", "2 ranks x 1 thread, sharded update (the default)")]
res = {}
for key, _ in rows:
    runs = [json.load(open(f"{out}/runs/{key}-r{r}/result.json")) for r in range(1, reps + 1)]
    sps = [x["throughput"]["samples_per_s"] for x in runs]
    best = max(range(reps), key=lambda i: sps[i])
    b = runs[best]
    share0 = b["time"]["comm_s"] / b["time"]["train_s"]
    pr = b.get("parallel", {}).get("per_rank", {})
    share_max = pr.get("comm_s", {}).get("max", 0) / b["time"]["train_s"]
    res[key] = (max(sps), sum(sps) / reps, share0, share_max, b["test"]["accuracy"])
print("| layout | samples/s best | mean | best vs 1x2 best | vs 1x1 | comm share, rank 0 (best run) | largest rank's | test accuracy |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for key, label in rows:
    best, mean, s0, smax, acc = res[key]
    print(f"| {label} | {best:,.0f} | {mean:,.0f} | {best / res['1x2'][0]:.3f}x | {best / res['1x1'][0]:.2f}x | "
          f"{100 * s0:.1f}% | {100 * smax:.1f}% | {acc:.4f} |")
import glob
def period(path):  # the slower rank's median step period
    return max(x["period_median_s"] for x in json.load(open(path))["steps"])
best_trace = {}
print("\n| traced 2x1 runs (interleaved) | step period, median us, each run (slower rank) | best | samples/s at the best period |")
print("|---|---|---:|---:|")
for kind in ("allreduce", "sharded"):
    runs = sorted(glob.glob(f"{out}/trace-{kind}-*.json"), key=lambda p: int(p.rsplit("-", 1)[1][:-5]))
    ps = [period(p) for p in runs]
    best_trace[kind] = runs[min(range(len(ps)), key=lambda i: ps[i])]
    print(f"| {kind} | {', '.join(f'{1e6 * x:.1f}' for x in ps)} | {1e6 * min(ps):.1f} | {256 / min(ps):,.0f} |")
for kind in ("allreduce", "sharded"):
    print(f"\n#### 2x1 {kind}, the traced run with the shortest period (bench/mpi_trace)\n")
    print(open(best_trace[kind][:-5] + ".md").read())
print("\n#### Overlap probe (bench_overlap_probe, 2 ranks, after a barrier each: no waiting for a late rank)\n")
print("```\n" + open(f"{out}/probe.txt").read() + "```")
# the projection (a model, not a measurement)
def step_med(name):
    st = json.load(open(f"{out}/{name}.json"))["steps"]
    return sum(x["median_s"] for x in st) / len(st)
name = lambda kind: best_trace[kind].rsplit("/", 1)[1][:-5]
c = {256: step_med("trace-b512"), 128: step_med(name("allreduce")), 32: step_med("trace-b64"),
     8: step_med("trace-b16"), 2: step_med("trace-b4")}
t_upd = 2 * (step_med(name("allreduce")) - step_med(name("sharded")))  # at 2 ranks the shard is half
if t_upd <= 0:
    print(f"(the measured update share came out at {1e6 * t_upd:.0f} us: noise; the projection uses 0)")
    t_upd = max(t_upd, 0.0)
n_bytes = 99978 * 4
alpha, beta = 30e-6, 8 / 25e9
print("\n#### Projection to 8, 32 and 128 ranks (a model, not a measurement)\n")
print(f"Step compute per rank (median over steps, traced 2-rank runs at 2 x the rows per rank): "
      + ", ".join(f"{r} rows {1e6 * c[r]:.0f} us" for r in (256, 128, 32, 8, 2))
      + f"; the update's share, 2 x (allreduce - sharded step compute at 128 rows): {1e6 * t_upd:.0f} us. "
      "Communication: ring, 2(p-1)/p x 399,912 bytes x beta + 2(p-1) alpha, EC2 assumed 25 Gbit/s and "
      "alpha = 30 us (the reduce-scatter plus the allgather move what the allreduce moves; the 3-float "
      "sum is assumed hidden in the backward pass); 1 thread per rank; global batch 256.\n")
print("| ranks | rows per rank | compute us, allreduce | compute us, sharded | comm us | samples/s allreduce | samples/s sharded | speedup sharded vs 1 rank |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
base = 256 / c[256]
for p in (1, 2, 8, 32, 128):
    rows = 256 // p
    ca = c[rows]
    cs = ca - t_upd * (1 - 1 / p)
    comm = 0 if p == 1 else 2 * (p - 1) / p * n_bytes * beta + 2 * (p - 1) * alpha
    print(f"| {p} | {rows} | {1e6 * ca:.0f} | {1e6 * cs:.0f} | {1e6 * comm:.0f} | {256 / (ca + comm):,.0f} | "
          f"{256 / (cs + comm):,.0f} | {256 / (cs + comm) / base:.2f}x |")
for line in open(f"{out}/allreduce.csv"):
    if line.startswith("100365,") or line.startswith("floats"):
        print("bench_allreduce (2 ranks):", line.strip())
PY
