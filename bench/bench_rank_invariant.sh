#!/usr/bin/env bash
# The cost of optimizer.rank_invariant (issue 16, part 3) and distributed efficiency
# against this machine's own limit (part 4), on the MLP benchmark of issue 3
# (`tradeoff gen` 200,000 x 256, 10 classes, seed 2; configs/mlp.ini: 256-128 relu, adam,
# global batch 256), EPOCHS epochs at a fixed count (early stopping and checkpoints off).
#
# REPEATS rounds, interleaved so that the load of a shared machine hits every
# configuration alike; per round: today's path and rank_invariant (micro_batch 32, and
# 64) at 1 rank x 1 thread, 2 ranks x 1 thread, 1 rank x 2 threads (--bind-to none).
# Prints a markdown table of the best (highest samples/s) of the rounds per
# configuration, with the mean, the communication share (time.comm_s / train_s of rank 0)
# and, for rank_invariant, whether the 1x1 and 2x1 model.h5 weights are identical.
#
# Usage: bench/bench_rank_invariant.sh [BUILD_DIR]      (default: build)
# Environment: REPEATS=3 EPOCHS=2 OUT=bench/out/rankinv MPIRUN=mpirun
#              MPIRUN_ARGS=--oversubscribe
# Python: /usr/bin/python3 with h5py (the --bench packages).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
reps=${REPEATS:-3}
epochs=${EPOCHS:-2}
out=${OUT:-$here/out/rankinv}
mpirun=${MPIRUN:-mpirun}
read -r -a mpi_args <<<"${MPIRUN_ARGS:---oversubscribe}"
data=$here/out/mlp.h5
py=/usr/bin/python3
log() { echo "bench_rank_invariant: $*" >&2; }

[ -x "$bin" ] || { log "$bin missing: cmake --build $build --target tradeoff"; exit 1; }
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
    --set optimizer.epochs="$epochs" --set early_stopping.enabled=false --set checkpoint.every_epochs=0 "$@")
  log "$name: ${cmd[*]#$root/}"
  echo "$name: ${cmd[*]}" >>"$out/commands.txt"
  "${cmd[@]}" >"$out/runs/$name.log" 2>&1 || { log "$name failed:"; cat "$out/runs/$name.log" >&2; exit 1; }
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) cores)"
  echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/meta.txt"

for r in $(seq 1 "$reps"); do
  for mode in plain inv32 inv64; do
    case $mode in
      plain) s=(--set optimizer.rank_invariant=false) ;;
      inv32) s=(--set optimizer.rank_invariant=true --set optimizer.micro_batch=32) ;;
      inv64) s=(--set optimizer.rank_invariant=true --set optimizer.micro_batch=64) ;;
    esac
    train "$mode-1x1-r$r" 1 1 "" "${s[@]}"
    train "$mode-2x1-r$r" 2 1 "" "${s[@]}" --set cost.nodes=2
    train "$mode-1x2-r$r" 1 2 "--bind-to none" "${s[@]}"
  done
done
echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.txt"

"$py" - "$out" "$reps" <<'EOF' | tee "$out/table.md"
import json, sys, statistics
import h5py, numpy as np
out, reps = sys.argv[1], int(sys.argv[2])
meta = open(out + '/meta.txt').read().strip().splitlines()
print('\n'.join('    ' + m for m in meta))
print()
def res(name):
    return json.load(open(f'{out}/runs/{name}/result.json'))
def same(a, b):
    fa, fb = h5py.File(f'{out}/runs/{a}/model.h5', 'r'), h5py.File(f'{out}/runs/{b}/model.h5', 'r')
    return all(np.array_equal(fa['layers'][l][p][:].view(np.uint32), fb['layers'][l][p][:].view(np.uint32))
               for l in fa['layers'] for p in ('W', 'b'))
best = {}
print('| path | ranks x threads | samples/s best | mean | vs today same layout | comm share (best run) | test accuracy |')
print('|---|---|---|---|---|---|---|')
for mode in ('plain', 'inv32', 'inv64'):
    for lay in ('1x1', '2x1', '1x2'):
        rs = [res(f'{mode}-{lay}-r{r}') for r in range(1, reps + 1)]
        sps = [r['throughput']['samples_per_s'] for r in rs]
        b = max(range(reps), key=lambda i: sps[i])
        best[mode, lay] = sps[b]
        comm = rs[b]['time']['comm_s'] / rs[b]['time']['train_s'] if rs[b]['time']['train_s'] else 0
        ratio = '' if mode == 'plain' else '%.2fx' % (sps[b] / best['plain', lay])
        name = {'plain': 'today', 'inv32': 'rank_invariant, micro_batch 32',
                'inv64': 'rank_invariant, micro_batch 64'}[mode]
        print(f'| {name} | {lay} | {sps[b]:,.0f} | {statistics.mean(sps):,.0f} | {ratio} | {100 * comm:.1f}% | '
              f'{rs[b]["test"]["accuracy"]:.4f} |')
print()
for mode in ('plain', 'inv32', 'inv64'):
    print(f'- {mode}: 2x1 / 1x2 = {best[mode, "2x1"] / best[mode, "1x2"]:.3f} (best of {reps}); '
          f'2x1 / 1x1 = {best[mode, "2x1"] / best[mode, "1x1"]:.2f}, 1x2 / 1x1 = {best[mode, "1x2"] / best[mode, "1x1"]:.2f}')
for mode in ('inv32', 'inv64'):
    print(f'- {mode}: model.h5 of 1x1 and 2x1 identical bit for bit: {same(f"{mode}-1x1-r1", f"{mode}-2x1-r1")}; '
          f'1x1 and 1x2: {same(f"{mode}-1x1-r1", f"{mode}-1x2-r1")}')
print(f'- today: 1x1 and 2x1 identical: {same("plain-1x1-r1", "plain-2x1-r1")}')
EOF
