# optimizer.rank_invariant: the same job on 1, 2 and 3 ranks (mpirun --oversubscribe, one
# thread per rank) writes model.h5 files whose weights are identical bit for bit, for sgd,
# adam and lbfgs, with and without dropout; the history (losses and metrics that drive
# early stopping and the schedule) and the test metrics are identical too. Without the
# key the runs differ (so the comparison can fail). A streamed job refuses the key.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { local k=$1; shift; mpirun -n "$k" --oversubscribe -x OMP_NUM_THREADS=1 -x OMPI_ALLOW_RUN_AS_ROOT \
  -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM "$@"; }

"$BIN" gen --task classification --rows 2500 --features 10 --classes 3 --informative 6 --seed 5 \
  --out d.h5 2>/dev/null
cat > job.ini <<EOF2
[data]
train = d.h5
[model]
type = mlp
hidden = 16,8
[optimizer]
name = adam
lr = 0.01
batch_size = 80
micro_batch = 16
epochs = 4
threads = 1
rank_invariant = true
schedule = plateau
lr_patience = 1
[early_stopping]
patience = 2
min_delta = 0
[checkpoint]
every_epochs = 0
[cost]
pricing = $SRC/configs/pricing.ini
EOF2

# same_runs A B C...: identical weights (every dataset under /layers), history columns
# other than times, and test metrics
same_runs() {
  $PY - "$@" <<'EOF2'
import csv, json, sys, h5py, numpy as np
runs = sys.argv[1:]
def weights(d):
    f = h5py.File(d + '/model.h5', 'r')
    return {f'{l}/{p}': f['layers'][l][p][:] for l in f['layers'] for p in ('W', 'b')}
def history(d):
    rows = list(csv.DictReader(open(d + '/history.csv')))
    return [{k: v for k, v in r.items() if k not in ('epoch_s', 'io_wait_s', 'comm_s')} for r in rows]
w0, h0 = weights(runs[0]), history(runs[0])
t0 = json.load(open(runs[0] + '/result.json'))
assert t0['parallel']['rank_invariant'] is True
for d in runs[1:]:
    w = weights(d)
    assert w.keys() == w0.keys()
    for k in w0:
        assert w[k].dtype == w0[k].dtype and np.array_equal(w[k].view(np.uint32), w0[k].view(np.uint32)), (d, k)
    assert history(d) == h0, (d, history(d), h0)
    t = json.load(open(d + '/result.json'))
    assert t['test'] == t0['test'] and t['val'] == t0['val'], d
    assert t['epochs_run'] == t0['epochs_run'] and t['best_epoch'] == t0['best_epoch'], d
EOF2
}

for case in "sgd 0" "sgd 0.3" "adam 0" "adam 0.3" "lbfgs 0" "lbfgs 0.3"; do
  set -- $case
  lr=$([[ $1 == sgd ]] && echo 0.1 || echo 0.01)
  for k in 1 2 3; do
    expect_ok mpi $k "$BIN" train job.ini --out "$1-$2-$k" --quiet \
      --set optimizer.name=$1 --set model.dropout=$2 --set optimizer.lr=$lr
  done
  check "$1, dropout $2: 1, 2 and 3 ranks give the same model.h5 weights, history and metrics" \
    same_runs "$1-$2-1" "$1-$2-2" "$1-$2-3"
done

# the same job without the key differs between 1 and 2 ranks (the check above can fail)
for k in 1 2; do
  expect_ok mpi $k "$BIN" train job.ini --out "plain-$k" --quiet --set optimizer.rank_invariant=false
done
check "without rank_invariant, 1 and 2 ranks differ" $PY -c "
import h5py, numpy as np
a, b = h5py.File('plain-1/model.h5', 'r'), h5py.File('plain-2/model.h5', 'r')
assert not np.array_equal(a['layers']['0']['W'][:], b['layers']['0']['W'][:])
"
expect_error 2 "job.ini:.*optimizer.rank_invariant: does not stream from storage" \
  "$BIN" train job.ini --out streamed --quiet --set storage.backend=local
finish
