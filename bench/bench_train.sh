#!/usr/bin/env bash
# Training benchmarks of issue 3, ours beside the peers, on the same data in one run, with
# the same threads for everyone (OMP_NUM_THREADS=THREADS, torch.set_num_threads(THREADS)).
#
#  1. Logistic baseline: `tradeoff gen` 400,000 x 64 binary, 5% positives (seed 1), split
#     once 80/20 (stratified, bench/peers/split.py) into TRAIN.h5 / TEST.h5 that every tool
#     reads. sklearn LogisticRegression(C=1, lbfgs) and LIBLINEAR (-s 0 -B 1 -c 1) on the
#     standardized data; ours: `tradeoff train` logistic with lbfgs (l2 = 1/(C * n_train),
#     no validation split, no early stopping) and with adam (lr 0.001, batch 256, 10% of
#     train for validation, early stopping on val_loss, patience 3).
#  2. MLP 256-128 relu, adam lr 0.001, batch 256, l2 1e-4, early stopping patience 3:
#     `tradeoff gen` 200,000 x 256, 10 classes (seed 2), same split scheme. sklearn
#     MLPClassifier and PyTorch (CPU, float32) capped at PEER_MLP_EPOCHS epochs (throughput
#     is a per-epoch rate); ours with epochs = 200.
#  2b. The same MLP on data we did not tune on (issue 16): sklearn make_classification
#     200,000 x 256, 10 classes, 64 informative, 3 clusters per class (random_state 0,
#     bench/peers/make_clusters.py with python3-sklearn), same split scheme, same settings.
#  3. cblas_sgemm peak (build/bench/bench_sgemm) at 1 and THREADS threads.
#  4. Early stopping: epochs and dollars saved, from our result.json.
# Prints markdown tables on stdout (also saved to bench/out/train/tables.md); progress on
# stderr. Our runs that fail print "n/a" with their error line.
#
# Usage: bench/bench_train.sh [BUILD_DIR]     (default: build; needs tradeoff, bench_sgemm)
# Environment: ROWS_LOGIT=400000 ROWS_MLP=200000 PEER_MLP_EPOCHS=20 OUR_MLP_EPOCHS=200
#              THREADS=2 REPEATS=5 (logistic timings) OURS_TIMEOUT=1800 (s, per run)
#              OURS_EXTRA="--set optimizer.name=sgd ..." (added to every `tradeoff train`)
#              SGEMM_BIN=path (default BUILD_DIR/bench/bench_sgemm)
#              PARTS="sgemm logit mlp clusters" (the parts to run; the tables show n/a for
#              the others, or a previous run's files)
# Peers: /usr/bin/python3 with numpy, h5py, sklearn, torch and liblinear-tools
# (scripts/install-deps --bench).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
rows_logit=${ROWS_LOGIT:-400000}
rows_mlp=${ROWS_MLP:-200000}
peer_epochs=${PEER_MLP_EPOCHS:-20}
our_mlp_epochs=${OUR_MLP_EPOCHS:-200}
threads=${THREADS:-2}
reps=${REPEATS:-5}
ours_timeout=${OURS_TIMEOUT:-1800}
read -r -a ours_extra <<<"${OURS_EXTRA:-}"
parts=" ${PARTS:-sgemm logit mlp clusters} "
want() { [[ "$parts" == *" $1 "* ]]; }
py=/usr/bin/python3
peers=$here/peers
out=$here/out/train
mkdir -p "$out/jobs" "$out/runs"
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads THREADS=$threads
log() { echo "bench_train: $*" >&2; }

for tool in liblinear-train liblinear-predict; do
  command -v "$tool" >/dev/null || { log "$tool missing: run scripts/install-deps --bench"; exit 1; }
done
"$py" -c 'import numpy, h5py, sklearn, torch' 2>/dev/null ||
  { log "$py lacks numpy/h5py/sklearn/torch: run scripts/install-deps --bench"; exit 1; }
[ -x "$bin" ] || { log "$bin missing: cmake --build $build --target tradeoff"; exit 1; }

# Data: the shapes of issue 3, generated once (same seed, same bytes), then split once.
# $1 stem, $2 rows, rest: gen options
make_data() {
  local stem=$1 rows=$2
  shift 2
  local h5=$here/out/$stem.h5
  if [ ! -f "$h5" ]; then
    log "gen $h5"
    "$bin" gen --task classification --rows "$rows" "$@" --out "$h5" 2>/dev/null
  fi
  "$py" "$peers/split.py" "$h5" "$here/out/${stem}_train.h5" "$here/out/${stem}_test.h5" \
    --test-fraction 0.2 --seed 1 >&2
}
logit=logit; [ "$rows_logit" = 400000 ] || logit=logit-$rows_logit
mlp=mlp; [ "$rows_mlp" = 200000 ] || mlp=mlp-$rows_mlp
if want logit; then make_data "$logit" "$rows_logit" --features 64 --informative 16 --weights 0.95,0.05 --seed 1; fi
if want mlp; then make_data "$mlp" "$rows_mlp" --features 256 --classes 10 --informative 64 --seed 2; fi
clusters=clusters; [ "$rows_mlp" = 200000 ] || clusters=clusters-$rows_mlp
if want clusters; then
  if [ ! -f "$here/out/$clusters.h5" ]; then
    log "make_classification $here/out/$clusters.h5"
    "$py" "$peers/make_clusters.py" "$here/out/$clusters.h5" --rows "$rows_mlp" --features 256 \
      --informative 64 --classes 10 --clusters 3 --seed 0
  fi
  "$py" "$peers/split.py" "$here/out/$clusters.h5" "$here/out/${clusters}_train.h5" \
    "$here/out/${clusters}_test.h5" --test-fraction 0.2 --seed 1 >&2
fi
l2_logit=0
if want logit; then
  n_train_logit=$("$py" -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r")["y"].shape[0])' \
    "$here/out/${logit}_train.h5")
  # sklearn's objective: mean log-loss + 0.5 * l2 * ||w||^2 with l2 = 1 / (C * n_train), C = 1.
  l2_logit=$("$py" -c "print(repr(1.0 / $n_train_logit))")
fi

# Our jobs. Checkpoints are off (the peers write none); the pricing catalog is the repo's.
job_common() { # $1 stem, $2 val_fraction
  cat <<EOF
[data]
train = $here/out/${1}_train.h5
test = $here/out/${1}_test.h5
val_fraction = $2
stratify = true
standardize = true
seed = 1

[checkpoint]
every_epochs = 0

[cost]
instance = c5.4xlarge
nodes = 1
spot = false
pricing = $root/configs/pricing.ini
EOF
}
{ job_common "$logit" 0.0; cat <<EOF

[model]
type = logistic

[optimizer]
name = lbfgs
epochs = 1000
l2 = $l2_logit
threads = $threads

[early_stopping]
enabled = false
EOF
} >"$out/jobs/logit_lbfgs.ini"
{ job_common "$logit" 0.1; cat <<EOF

[model]
type = logistic

[optimizer]
name = adam
lr = 0.001
batch_size = 256
epochs = 200
l2 = $l2_logit
threads = $threads

[early_stopping]
enabled = true
monitor = val_loss
patience = 3
restore_best = true
EOF
} >"$out/jobs/logit_adam.ini"
mlp_job() { # $1 stem
  job_common "$1" 0.1; cat <<EOF

[model]
type = mlp
hidden = 256,128
activation = relu

[optimizer]
name = adam
lr = 0.001
batch_size = 256
epochs = $our_mlp_epochs
l2 = 0.0001
threads = $threads

[early_stopping]
enabled = true
monitor = val_loss
patience = 3
restore_best = true
EOF
}
mlp_job "$mlp" >"$out/jobs/mlp.ini"
mlp_job "$clusters" >"$out/jobs/mlp_clusters.ini"

# One of our runs: NAME JOB STEM [check_preds.py options]. Leaves runs/NAME/, runs/NAME.rc, runs/NAME.stderr and,
# when a model was written, runs/NAME.check.json (sklearn's metrics on `tradeoff predict`).
ours() {
  local name=$1 job=$2 stem=$3 rc=0
  shift 3
  rm -rf "$out/runs/$name" "$out/runs/$name".*
  log "ours: $name"
  timeout "$ours_timeout" "$bin" train "$job" --out "$out/runs/$name" --quiet --force \
    ${ours_extra[@]+"${ours_extra[@]}"} 2>"$out/runs/$name.stderr" || rc=$?
  echo "$rc" >"$out/runs/$name.rc"
  [ "$rc" = 0 ] || { log "ours: $name: exit $rc: $(tail -n 1 "$out/runs/$name.stderr")"; return 0; }
  if [ -f "$out/runs/$name/model.h5" ] &&
     "$bin" predict --model "$out/runs/$name/model.h5" --data "$here/out/${stem}_test.h5" \
       --out "$out/runs/$name.preds.csv" 2>>"$out/runs/$name.stderr"; then
    "$py" "$peers/check_preds.py" "$here/out/${stem}_test.h5" "$out/runs/$name.preds.csv" \
      "$out/runs/$name.check.json" "$@" || true
  fi
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
# 3. sgemm first, on the idle machine.
sgemm=${SGEMM_BIN:-$build/bench/bench_sgemm}
if [ ! -x "$sgemm" ] && [ -z "${SGEMM_BIN:-}" ]; then
  cmake --build "$build" --target bench_sgemm >/dev/null 2>&1 || true
fi
if ! want sgemm; then
  log "sgemm: not in PARTS"
elif rm -f "$out/sgemm.txt"; [ -x "$sgemm" ]; then
  log "sgemm"
  t1=1; [ "$threads" = 1 ] && t1=
  "$sgemm" $t1 "$threads" >"$out/sgemm.txt" || log "bench_sgemm failed"
else
  log "no $sgemm: the sgemm table is n/a"
fi

# 1. Logistic baseline.
if want logit; then
rm -f "$out/sk_logit.json"
log "peers: sklearn LogisticRegression, LIBLINEAR"
(cd "$peers" && "$py" sk_logit.py "$here/out/${logit}_train.h5" "$here/out/${logit}_test.h5" \
  "$out/sk_logit.json" --repeats "$reps" --workdir "$here/out") || log "sk_logit.py failed"
for i in $(seq 1 "$reps"); do
  ours "logit_lbfgs.$i" "$out/jobs/logit_lbfgs.ini" "$logit" --objective \
    "$here/out/${logit}_train.h5" "$l2_logit" "$out/runs/logit_lbfgs.$i/model.h5"
done
ours logit_adam "$out/jobs/logit_adam.ini" "$logit"
fi

# 2. MLP, on each data set: $1 stem, $2 suffix of the output names ("" or _clusters).
# sklearn first, then PyTorch and ours back to back (the throughput comparison).
mlp_part() {
  local stem=$1 sfx=$2
  rm -f "$out/sk_mlp$sfx.json" "$out/torch_mlp$sfx.json"
  log "peers on $stem: sklearn MLPClassifier (at most $peer_epochs epochs)"
  (cd "$peers" && "$py" sk_mlp.py "$here/out/${stem}_train.h5" "$here/out/${stem}_test.h5" \
    "$out/sk_mlp$sfx.json" --epochs "$peer_epochs") || log "sk_mlp.py failed"
  log "peers on $stem: PyTorch (at most $peer_epochs epochs)"
  (cd "$peers" && "$py" torch_mlp.py "$here/out/${stem}_train.h5" "$here/out/${stem}_test.h5" \
    "$out/torch_mlp$sfx.json" --epochs "$peer_epochs" --threads "$threads") || log "torch_mlp.py failed"
  ours "mlp$sfx" "$out/jobs/mlp$sfx.ini" "$stem"
}
if want mlp; then mlp_part "$mlp" ""; fi
if want clusters; then mlp_part "$clusters" _clusters; fi

# The tables.
{
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), load average at the start $load0, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), THREADS=$threads PARTS=\"${parts:1:${#parts}-2}\" ROWS_LOGIT=$rows_logit ROWS_MLP=$rows_mlp PEER_MLP_EPOCHS=$peer_epochs OUR_MLP_EPOCHS=$our_mlp_epochs REPEATS=$reps${OURS_EXTRA:+ OURS_EXTRA=\"$OURS_EXTRA\"}."
  echo
  "$py" "$peers/tables.py" "$out" "$reps"
} | tee "$out/tables.md"
