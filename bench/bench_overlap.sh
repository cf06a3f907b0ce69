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
# Then bench/overlap_tables.py prints the markdown tables on stdout (also OUT/table.md):
# samples/s best and mean, the ratio of each layout's best to 1x2's best, rank 0's
# communication share inside the epochs (history.csv comm_s / epoch_s), the traced runs,
# the probe and the projection.
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

"$py" "$here/overlap_tables.py" "$out" "$reps" | tee "$out/table.md"
