#!/usr/bin/env bash
# Distributed-training figures of issue 4, on the MLP benchmark of issue 3
# (`tradeoff gen` 200,000 x 256, 10 classes, seed 2; configs/mlp.ini: hidden 256,128
# relu, adam lr 0.001, global batch 256, l2 1e-4, early stopping on val_loss, patience 3).
#
#  1. Throughput at a fixed EPOCHS (early stopping and checkpoints off), REPEATS runs of
#     each, interleaved: (a) 1 rank x 1 thread, (b) 2 ranks x 1 thread, (c) 1 rank x 2
#     threads (`--bind-to none`: mpirun binds a lone rank to one core, see (c') below).
#     (c') 1 rank x 2 threads with mpirun's default binding, once.
#  2. Per-step compute against rows per rank: 1 rank x 1 thread, one epoch at
#     batch_size 128, 32, 8 and 2 (the rows per rank of 2, 8, 32 and 128 ranks at a
#     global batch of 256).
#  3. Accuracy: the job as configs/mlp.ini (early stopping, a checkpoint every epoch) at
#     1 rank x 1 thread (cost.nodes = 1) and 2 ranks x 1 thread (cost.nodes = 2: one
#     node per rank, as scripts/scaling-study prices it).
#  4. Allreduce: build/bench/bench_allreduce under `mpirun -n 2` (1 .. 4M floats).
# Then bench/scaling_tables.py fits the alpha-beta model of ring allreduce and prints the
# markdown tables (measured, then the projection to 8, 32, 128 ranks) on stdout, also
# saved to OUT/tables.md. Progress on stderr. About 2 minutes on 2 cores.
#
# Usage: bench/bench_scaling.sh [BUILD_DIR]     (default: build; needs tradeoff and
#        bench_allreduce: cmake --build build --target tradeoff bench_allreduce)
# Environment: REPEATS=3 EPOCHS=4 OUT=bench/out/scaling MPIRUN=mpirun
#              MPIRUN_ARGS=--oversubscribe  ALLREDUCE_TARGET_S=0.25 (timed s per size)
#              IDLE_WAIT=1800 (s to wait for running ctest/tradeoff processes to end
#              before timing; 0 = do not wait)
# Python: /usr/bin/python3 (standard library only).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
ar_bin=$build/bench/bench_allreduce
reps=${REPEATS:-3}
epochs=${EPOCHS:-4}
out=${OUT:-$here/out/scaling}
mpirun=${MPIRUN:-mpirun}
read -r -a mpi_args <<<"${MPIRUN_ARGS:---oversubscribe}"
idle_wait=${IDLE_WAIT:-1800}
data=$here/out/mlp.h5
py=/usr/bin/python3
log() { echo "bench_scaling: $*" >&2; }

[ -x "$bin" ] || { log "$bin missing: cmake --build $build --target tradeoff"; exit 1; }
[ -x "$ar_bin" ] || { log "$ar_bin missing: cmake --build $build --target bench_allreduce"; exit 1; }
command -v "$mpirun" >/dev/null || { log "$mpirun not found (Open MPI)"; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

# Timings mean nothing while a test suite or another training runs on the same 2 cores.
waited=0
while [ "$idle_wait" -gt 0 ] && { pgrep -f ctest >/dev/null || pgrep -x tradeoff >/dev/null; }; do
  [ "$waited" -ge "$idle_wait" ] && { log "machine still busy after ${waited}s; timing anyway"; break; }
  [ "$waited" = 0 ] && log "waiting for running ctest/tradeoff processes to end..."
  sleep 30
  waited=$((waited + 30))
done

if [ ! -f "$data" ]; then
  log "gen $data"
  "$bin" gen --task classification --rows 200000 --features 256 --classes 10 \
    --informative 64 --seed 2 --out "$data" >/dev/null
fi
rm -rf "$out/runs" "$out/commands.txt" "$out/allreduce.csv" "$out/tables.md"
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
    --out "$out/runs/$name" --set data.train="$data" --set optimizer.threads="$threads" "$@")
  log "$name: ${cmd[*]#$root/}"
  echo "$name: ${cmd[*]}" >>"$out/commands.txt"
  "${cmd[@]}" >"$out/runs/$name.log" 2>&1 || { log "$name failed:"; cat "$out/runs/$name.log" >&2; exit 1; }
}
fixed=(--set optimizer.epochs="$epochs" --set early_stopping.enabled=false
  --set checkpoint.every_epochs=0)

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "mem_gb: $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
  echo "mpi: $("$mpirun" --version 2>/dev/null | head -1)"
  echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "repeats: $reps"
  echo "epochs: $epochs"
} >"$out/meta.txt"

# 1. throughput, interleaved so that drift of the VM hits every configuration alike
for r in $(seq 1 "$reps"); do
  train "tp-1x1-r$r" 1 1 "" "${fixed[@]}"
  train "tp-2x1-r$r" 2 1 "" "${fixed[@]}" --set cost.nodes=2
  train "tp-1x2-r$r" 1 2 "--bind-to none" "${fixed[@]}"
done
train "tp-1x2bound-r1" 1 2 "" "${fixed[@]}"

# 2. per-step compute at the rows per rank of 2, 8, 32 and 128 ranks (global batch 256)
for b in 128 32 8 2; do
  train "step-b$b" 1 1 "" --set optimizer.epochs=1 --set early_stopping.enabled=false \
    --set checkpoint.every_epochs=0 --set optimizer.batch_size="$b"
done

# 3. accuracy: the job as configs/mlp.ini
train acc-1x1 1 1 "" --set cost.nodes=1
train acc-2x1 2 1 "" --set cost.nodes=2

# 4. allreduce timings
ar_cmd=("$mpirun" -n 2 "${mpi_args[@]}" "$ar_bin" "${ALLREDUCE_TARGET_S:-0.25}")
log "allreduce: ${ar_cmd[*]#$root/}"
echo "allreduce: ${ar_cmd[*]}" >>"$out/commands.txt"
"${ar_cmd[@]}" >"$out/allreduce.csv"
echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.txt"

"$py" "$here/scaling_tables.py" "$out" | tee "$out/tables.md"
