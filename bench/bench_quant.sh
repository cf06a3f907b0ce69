#!/usr/bin/env bash
# Quantization benchmark of issue 14 (part 3): the int8 and bf16 variants of a 256-128
# relu MLP on 256 features against its fp32 self, on the same rows, in one run.
#
#  Data: `tradeoff gen` ROWS x 256, 10 classes, 64 informative (seed 2: the shape of
#  bench_train.sh's MLP); the job splits 20% test, 10% validation (seed 1), standardized.
#  Model: `tradeoff train` mlp 256,128 relu, adam lr 0.001, batch 256, early stopping.
#  Then `tradeoff quantize MODEL --precision int8|bf16` with THREADS OpenMP threads
#  (oneDNN and OpenBLAS share them), REPEATS times each: the best throughput and the best
#  batch-1 p50 of the runs are kept (the machine may be shared); the test metrics do not
#  change between runs. fp32 is the trainer's forward pass (OpenBLAS sgemm), as `predict`
#  runs it; the variants are oneDNN's int8 (u8/s8 x s8, s32 accumulation) and bf16
#  matmuls. OPENBLAS_CORETYPE is left as the environment sets it.
# Prints a markdown table on stdout (also bench/out/quant/tables.md); progress on stderr.
#
# Usage: bench/bench_quant.sh [BUILD_DIR]     (default: build)
# Environment: ROWS=100000 THREADS="1 2" REPEATS=3 BATCH=256 REQUESTS=2000
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
rows=${ROWS:-100000}
threads_list=${THREADS:-1 2}
reps=${REPEATS:-3}
batch=${BATCH:-256}
requests=${REQUESTS:-2000}
py=/usr/bin/python3
out=$here/out/quant
mkdir -p "$out"
log() { echo "bench_quant: $*" >&2; }
[ -x "$bin" ] || { log "$bin missing: cmake --build $build --target tradeoff"; exit 1; }

data=$out/mlp-$rows.h5
if [ ! -f "$data" ]; then
  log "gen $data"
  "$bin" gen --task classification --rows "$rows" --features 256 --classes 10 --informative 64 --seed 2 \
    --out "$data" 2>/dev/null
fi
cat >"$out/mlp.ini.new" <<EOF
[data]
train = $data
test_fraction = 0.2
val_fraction = 0.1
stratify = true
standardize = true
seed = 1

[model]
type = mlp
hidden = 256,128
activation = relu

[optimizer]
name = adam
lr = 0.001
batch_size = 256
epochs = 30
l2 = 0.0001

[early_stopping]
enabled = true
monitor = val_loss
patience = 3
restore_best = true

[checkpoint]
every_epochs = 0
EOF
# the job file changes (and the model is retrained) only when its text does
cmp -s "$out/mlp.ini.new" "$out/mlp.ini" 2>/dev/null && rm "$out/mlp.ini.new" || mv "$out/mlp.ini.new" "$out/mlp.ini"
model=$out/run/model.h5
if [ ! -f "$model" ] || [ "$out/mlp.ini" -nt "$model" ]; then
  log "train $out/mlp.ini"
  "$bin" train "$out/mlp.ini" --out "$out/run" --force --quiet >&2
fi

bf16=int8
grep -qw -e avx512_bf16 -e amx_bf16 /proc/cpuinfo && bf16="int8 bf16"
[ "$bf16" = int8 ] && log "no avx512_bf16/amx_bf16 in /proc/cpuinfo: bf16 is not measured (tradeoff refuses it)"
for t in $threads_list; do
  for p in $bf16; do
    for r in $(seq 1 "$reps"); do
      log "quantize $p, $t thread(s), run $r/$reps"
      OMP_NUM_THREADS=$t "$bin" quantize "$model" --precision "$p" --out "$out/model-$p.h5" \
        --json "$out/$p-t$t-r$r.json" --batch "$batch" --requests "$requests" --force >/dev/null 2>&1
    done
  done
done

"$py" - "$out" "$reps" "$threads_list" "$bf16" <<'EOF' | tee "$out/tables.md"
import json, sys
out, reps, threads, precs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
first = json.load(open(f"{out}/{precs[0]}-t{threads[0]}-r1.json"))
h = first["host"]
print(f"Host: {h['cpu']}, {h['cores']} cores, oneDNN ISA {h['onednn_isa']}; test rows "
      f"{first['test_rows']}, calibration rows {first['calibration_rows']}; best of {reps} runs.\n")
print("| threads | precision | param bytes | file bytes | batch-1 p50 (ms) | rows/s at batch "
      f"{first['precisions'][0]['throughput']['batch']} | vs fp32 | test accuracy | change (points) | argmax agreement |")
print("|---|---|---|---|---|---|---|---|---|---|")
for t in threads:
    runs = {p: [json.load(open(f"{out}/{p}-t{t}-r{r}.json")) for r in range(1, reps + 1)] for p in precs}
    # fp32 is measured in every run: its best over all of them
    f32 = [e["precisions"][0] for p in precs for e in runs[p]]
    best32 = max(x["throughput"]["rows_per_s"] for x in f32)
    lat32 = min(x["latency_batch1"]["p50_ms"] for x in f32)
    acc32 = f32[0]["test"]["accuracy"]
    print(f"| {t} | fp32 (as predict runs it) | {f32[0]['param_bytes']:,} | {f32[0]['file_bytes']:,} | {lat32:.4f} | "
          f"{best32:,.0f} | 1.00x | {acc32:.4f} | | |")
    refs = [e["reference_fp32_onednn"] for p in precs for e in runs[p]]
    bref = max(x["throughput"]["rows_per_s"] for x in refs)
    lref = min(x["latency_batch1"]["p50_ms"] for x in refs)
    print(f"| {t} | fp32 (oneDNN f32, timing reference) | | | {lref:.4f} | {bref:,.0f} | {bref / best32:.2f}x | | | |")
    for p in precs:
        q = [e["precisions"][1] for e in runs[p]]
        bq = max(x["throughput"]["rows_per_s"] for x in q)
        lq = min(x["latency_batch1"]["p50_ms"] for x in q)
        print(f"| {t} | {p} (oneDNN) | {q[0]['param_bytes']:,} | {q[0]['file_bytes']:,} | {lq:.4f} | {bq:,.0f} | "
              f"{bq / best32:.2f}x | {q[0]['test']['accuracy']:.4f} | {q[0]['test_change']['accuracy_points']:+.2f} | "
              f"{q[0]['vs_fp32']['argmax_agreement']:.4f} |")
EOF
