# Data-parallel training under `mpirun -n 2` (oversubscribed, root allowed): identical
# weights on every rank, reproducible runs, the sharded update (the default) equal to the
# allreduce bit for bit at 2 ranks and repeatable at 3, global metrics (their gathers not counted as
# communication), SIGTERM + --resume under MPI (and SIGTERM to one rank during the
# storage's preload), and a failure on one rank ending the whole job quickly with that
# rank's message.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
MPI="mpirun -n 2 --oversubscribe -x OMP_NUM_THREADS=1 -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"

"$BIN" gen --task classification --rows 12000 --features 16 --classes 3 --informative 8 --seed 9 --out all.h5 2>/dev/null
$PY -c "
import h5py
f = h5py.File('all.h5', 'r'); X, y = f['X'][:], f['y'][:]
for name, sl in (('train.h5', slice(0, 10000)), ('test.h5', slice(10000, None))):
    with h5py.File(name, 'w') as g: g['X'] = X[sl]; g['y'] = y[sl]
"
cat > job.ini <<EOF2
[data]
train = train.h5
test = test.h5
[model]
type = mlp
hidden = 64,32
[optimizer]
name = adam
lr = 0.003
batch_size = 128
epochs = 25
[early_stopping]
monitor = val_auc
patience = 100
[checkpoint]
every_epochs = 5
[cost]
pricing = $SRC/configs/pricing.ini
EOF2

expect_ok $MPI "$BIN" train job.ini --out r2a --quiet
check "2 ranks: global counts, identical weights, per-rank timings" $PY -c "
import json; r = json.load(open('r2a/result.json')); p = r['parallel']
assert p['ranks'] == 2 and p['threads_per_rank'] == 1 and p['weights_identical'] is True, p
assert r['data']['train_rows'] + r['data']['val_rows'] == 10000 and r['data']['test_rows'] == 2000, r['data']
assert p['per_rank']['comm_s']['max'] > 0 and r['time']['comm_s'] > 0
assert r['test']['accuracy'] > 0.8, r['test']
"
check "test AUC is over all ranks' rows (equals the AUC of predict on the whole test file)" bash -c "
'$BIN' predict --model r2a/model.h5 --data test.h5 --out p.csv && $PY -c \"
import csv, json, h5py, numpy as np
P = np.array([[float(v) for v in row[:3]] for row in list(csv.reader(open('p.csv')))[1:]])
y = h5py.File('test.h5', 'r')['y'][:]
def auc(s, t):
    order = np.argsort(s, kind='mergesort'); r = np.empty(len(s)); r[order] = np.arange(1, len(s) + 1)
    pos = t.sum(); return (r[t == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(t) - pos))
ours = np.mean([auc(P[:, k], (y == k).astype(int)) for k in range(3)])
got = json.load(open('r2a/result.json'))['test']['auc']
assert abs(got - ours) < 1e-4, (got, ours)
\""
check_history r2a "accuracy f1 auc"   # val_* over both ranks' rows: result.json's val
expect_ok $MPI "$BIN" train job.ini --out r2b --quiet
check "same seed and rank count: bit-identical model.h5 weights" $PY -c "
import h5py, numpy as np
a, b = h5py.File('r2a/model.h5', 'r'), h5py.File('r2b/model.h5', 'r')
assert all(np.array_equal(a['layers'][l][p][:], b['layers'][l][p][:]) for l in a['layers'] for p in ('W', 'b'))
"

# optimizer.sharded_update (the default): each rank updates half the parameters after a
# reduce-scatter. At 2 ranks its sums are the allreduce's (a + b = b + a) and the update
# is elementwise, so the allreduce path gives the same bits: for adam, and for momentum
# with L1 (a proximal step); a trailing short batch (9000 rows over 2 x 64) included
same_2() {
  $PY - "$1" "$2" <<'EOF3'
import csv, sys, h5py, numpy as np
a, b = (h5py.File(d + '/model.h5', 'r') for d in sys.argv[1:3])
assert all(np.array_equal(a['layers'][l][p][:].view(np.uint32), b['layers'][l][p][:].view(np.uint32))
           for l in a['layers'] for p in ('W', 'b'))
timing = ('epoch_s', 'io_wait_s', 'comm_s')
ha, hb = ([{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open(d + '/history.csv'))]
          for d in sys.argv[1:3])
assert ha == hb, (ha, hb)
EOF3
}
for opt in adam momentum; do
  for sh in true false; do
    expect_ok $MPI "$BIN" train job.ini --out $opt-$sh --quiet --set optimizer.sharded_update=$sh \
      --set optimizer.name=$opt --set optimizer.l1=$([[ $opt == momentum ]] && echo 0.0001 || echo 0) \
      --set optimizer.epochs=4
  done
  check "2 ranks, $opt: sharded update = allreduce, bit for bit (weights, history)" same_2 $opt-true $opt-false
done
# 3 ranks: the reduce-scatter may add three ranks' values in another order than the
# allreduce (MPI fixes neither), so agreement and repeatability are what is checked
for k in a b; do
  expect_ok ${MPI/-n 2/-n 3} "$BIN" train job.ini --out r3$k --quiet --set optimizer.epochs=3
done
check "3 ranks, sharded update: identical weights on every rank, accurate" $PY -c "
import json; r = json.load(open('r3a/result.json'))
assert r['parallel']['ranks'] == 3 and r['parallel']['weights_identical'] is True, r['parallel']
assert r['test']['accuracy'] > 0.75, r['test']
a, b = (json.load(open(d + '/result.json'))['parallel'] for d in ('adam-true', 'adam-false'))
assert r['parallel']['sharded_update'] is True and a['sharded_update'] is True and b['sharded_update'] is False
"
check "3 ranks, sharded update: the same weights run after run" same_2 r3a r3b

# a spot interruption under MPI: SIGTERM reaches every rank, they agree on the step,
# checkpoint and exit 0; mpirun --resume continues to the uninterrupted result
sed -i 's/^epochs = 25/epochs = 400/; s/^patience = 100/patience = 1000/' job.ini  # long enough to be cut
expect_ok $MPI "$BIN" train job.ini --out whole --quiet
$MPI "$BIN" train job.ini --out cut --quiet &
mpirun_pid=$!
sleep 1.5
pkill -TERM -P $mpirun_pid -x tradeoff  # this job's ranks only (other tests may be running)
wait $mpirun_pid
rc=$?
check "interrupted ranks exit 0 (got $rc)" test $rc -eq 0
check "interrupted run recorded" $PY -c "
import json; r = json.load(open('cut/result.json')); assert r['stop_reason'] == 'interrupted' and r['epochs_run'] < 400, r['epochs_run']
"
expect_ok $MPI "$BIN" train job.ini --out cut --quiet --resume
check "resumed under MPI: bit-identical to the uninterrupted run" $PY -c "
import h5py, numpy as np
a, b = h5py.File('whole/model.h5', 'r'), h5py.File('cut/model.h5', 'r')
assert all(np.array_equal(a['layers'][l][p][:], b['layers'][l][p][:]) for l in a['layers'] for p in ('W', 'b'))
"
expect_error 2 "checkpoint.h5: checkpoint was not written by 1 rank" "$BIN" train job.ini --out cut --quiet --resume

# SIGTERM to one rank while FSx preloads the data (a GET's first byte takes 60 s): every
# rank stops there (they agree before the next collective) and exits 0, writing nothing
$MPI "$BIN" train job.ini --out preloading --set storage.backend=fsx --set storage.fsx.preload=true \
  --set storage.s3.first_byte_ms=60000 2> preload.err &
mpirun_pid=$!
sleep 2
pkill -TERM -P $mpirun_pid -x tradeoff -n  # the newest rank only: the other is not signalled
wait $mpirun_pid
rc=$?
check "SIGTERM to one rank during the preload: every rank exits 0 (got $rc), no outputs" \
  bash -c "[[ $rc == 0 ]] && test ! -e preloading && grep -q 'train: interrupted .* before the first epoch' preload.err"

# one rank killed without warning (kill -9): mpirun ends the job within seconds, no hang,
# and the run resumes from the last checkpoint to the uninterrupted result
$MPI "$BIN" train job.ini --out killed --quiet 2>/dev/null &
mpirun_pid=$!
for _ in $(seq 500); do [[ -f killed/checkpoint/checkpoint.h5 ]] && break; sleep 0.01; done
victim=$(pgrep -P $mpirun_pid -x tradeoff | tail -1)
t0=$(date +%s.%N)
kill -KILL "$victim"
timeout 30 bash -c "while kill -0 $mpirun_pid 2>/dev/null; do sleep 0.05; done"
ended=$?
wait $mpirun_pid 2>/dev/null
rc=$?
t1=$(date +%s.%N)
check "one rank killed: the job ends (exit $rc) within seconds ($(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s), no hang" bash -c "[[ $ended == 0 && $rc != 0 ]]"
check "no rank left behind" bash -c "! pgrep -P $mpirun_pid -x tradeoff >/dev/null"
expect_ok $MPI "$BIN" train job.ini --out killed --quiet --resume
check "resumed after a killed rank: bit-identical to the uninterrupted run" $PY -c "
import h5py, numpy as np
a, b = h5py.File('whole/model.h5', 'r'), h5py.File('killed/model.h5', 'r')
assert all(np.array_equal(a['layers'][l][p][:], b['layers'][l][p][:]) for l in a['layers'] for p in ('W', 'b'))
"

# streaming through emulated storage on 2 ranks: each rank reads its rows through the
# loader; the weights are those of the in-memory 2-rank run
sed -i 's/^epochs = 400/epochs = 4/' job.ini
expect_ok $MPI "$BIN" train job.ini --out mem2 --quiet
# (shuffle = sample: the in-memory order; s3's auto reads its files in order)
expect_ok $MPI "$BIN" train job.ini --out s3-2 --quiet --set storage.backend=s3 --set storage.s3.first_byte_ms=1 \
  --set storage.shuffle=sample
check "streamed on 2 ranks = in memory on 2 ranks (weights, history); storage counted over both ranks" $PY -c "
import h5py, numpy as np, json, csv
a, b = h5py.File('mem2/model.h5', 'r'), h5py.File('s3-2/model.h5', 'r')
assert all(np.array_equal(a['layers'][l][p][:], b['layers'][l][p][:]) for l in a['layers'] for p in ('W', 'b'))
r = json.load(open('s3-2/result.json'))
assert r['storage']['backend'] == 's3' and r['storage']['requests'] > 0 and r['parallel']['ranks'] == 2, r['storage']
timing = ('epoch_s', 'io_wait_s', 'comm_s')  # the training metrics too: the same batches
ha, hb = [[{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open(d + '/history.csv'))]
          for d in ('mem2', 's3-2')]
assert ha == hb and 'train_auc' in ha[0], (ha, hb)
"

# FSx's cache is the job's: the one train.h5 both ranks read parts of is lazily loaded
# once for the job (its GETs split over the two ranks' counters, which result.json sums),
# as on one rank; each rank's own model loaded and counted it all before
expect_ok $MPI "$BIN" train job.ini --out fsx-2 --quiet --set storage.backend=fsx
expect_ok "$BIN" train job.ini --out fsx-1 --quiet --set storage.backend=fsx
check "fsx on 2 ranks: the shared file's lazy GETs and bytes counted once for the job" $PY -c "
import json
a, b = (json.load(open(d + '/result.json'))['storage'] for d in ('fsx-1', 'fsx-2'))
assert b['requests'] == a['requests'] > 0 and b['lazy_loaded_bytes'] == a['lazy_loaded_bytes'] > 0, (a, b)
assert b['cache_hits'] > 0, b
"

# comm_s is training's communication only: the gathers of labels and predictions for the
# history's and result.json's metrics are left out. A preloaded clock jumps 1000 s in
# every MPI_Allgatherv not in place (mpi_fakeclock.c): counted, each would add 1000 s to comm_s (the
# metrics took four per epoch); the data steps' three gathers before training still count
# (the class values, the labels for the split, the test file's labels for its digest).
if ${CC:-cc} -shared -fPIC -o fakeclock.so "$SRC/tests/integration/mpi_fakeclock.c" -ldl 2>/dev/null &&
   ! ldd "$BIN" | grep -q libasan; then
  expect_ok ${MPI/mpirun/mpirun -x LD_PRELOAD=$WORK/fakeclock.so} "$BIN" train job.ini --out fake --quiet
  check "metric gathers are not in comm_s (history.csv, result.json)" $PY -c "
import csv, json
rows = list(csv.DictReader(open('fake/history.csv')))
assert len(rows) == 4 and all(float(r['comm_s']) < 1000 for r in rows), [r['comm_s'] for r in rows]
# the clock jumped in two gathers per epoch, the predictions': the labels, which never
# change, were gathered once before the first
assert all(2000 <= float(r['epoch_s']) < 3000 for r in rows), [r['epoch_s'] for r in rows]
t = json.load(open('fake/result.json'))['time']
assert t['comm_s'] - sum(float(r['comm_s']) for r in rows) < 4000, t
"
fi

# L-BFGS over ranks: one objective, summed over both ranks' rows
printf '[data]\ntrain = train.h5\ntest = test.h5\n[model]\ntype = softmax\n[optimizer]\nname = lbfgs\nepochs = 200\n[early_stopping]\nenabled = false\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > lb.ini
expect_ok $MPI "$BIN" train lb.ini --out lb2 --quiet
expect_ok "$BIN" train lb.ini --out lb1 --quiet
check "lbfgs on 2 ranks matches 1 rank" $PY -c "
import json; a, b = json.load(open('lb1/result.json')), json.load(open('lb2/result.json'))
assert a['stop_reason'] == b['stop_reason'] == 'converged'
assert abs(a['test']['accuracy'] - b['test']['accuracy']) < 0.01, (a['test'], b['test'])
"
check_history lb2 "accuracy f1" lbfgs

# the scaling study: same job on 1 and 2 ranks, speedup, efficiency and cost per count
STUDY="$SRC/scripts/scaling-study"
expect_ok env MPIRUN_ARGS=--oversubscribe BIN="$BIN" "$STUDY" lb.ini --ranks 1,2 --out study
check "scaling study tables" $PY -c "
import csv, json
rows = list(csv.DictReader(open('study/scaling.csv')))
assert [int(r['ranks']) for r in rows] == [1, 2] and float(rows[0]['speedup']) == 1.0, rows
j = json.load(open('study/scaling.json')); assert j[1]['efficiency'] > 0 and j[1]['cost_usd'] > 0, j
r2 = json.load(open('study/ranks-2/result.json'))
assert r2['cost']['nodes'] == 2 and abs(r2['parallel']['scaling_efficiency'] - j[1]['efficiency']) < 1e-12
"
check "scaling study rejects a bad rank list" bash -c "! BIN='$BIN' '$STUDY' lb.ini --ranks 1,x 2>/dev/null"
check "scaling study rejects a missing job" bash -c "! BIN='$BIN' '$STUDY' nojob.ini 2>/dev/null"

# a bad shard on one rank ends every rank within seconds, with that rank's message
"$BIN" gen --task classification --rows 2000 --features 8 --shards 2 --out shards 2>/dev/null
echo "not hdf5" > shards/part-00001.h5
printf '[data]\ntrain = shards\n[optimizer]\nepochs = 3\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > bad.ini
t0=$(date +%s)
$MPI "$BIN" train bad.ini --out badrun > bad.out 2>&1
rc=$?
t1=$(date +%s)
check "failing rank: exit 1 (got $rc)" test $rc -eq 1
check "failing rank: within 10 s" test $((t1 - t0)) -lt 10
check "failing rank's message" grep -q "\[rank 1\] shards/part-00001.h5: not an HDF5 file" bad.out
check "no result from the failed run" test ! -e badrun/result.json
# the same split whatever the rank count (issue 12): the test rows of one split file are
# the same rows at 1, 2 and 3 ranks (their digest in result.json), and full-batch L-BFGS,
# which sees every training row at every rank count, gives the same test AUC
"$BIN" gen --task classification --rows 9000 --features 12 --seed 21 --out split.h5 2>/dev/null
printf '[data]\ntrain = split.h5\n[model]\ntype = logistic\n[optimizer]\nname = lbfgs\nepochs = 200\n[early_stopping]\nenabled = false\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > split.ini
expect_ok "$BIN" train split.ini --out s1 --quiet
expect_ok $MPI "$BIN" train split.ini --out s2 --quiet
expect_ok ${MPI/-n 2/-n 3} "$BIN" train split.ini --out s3 --quiet
check "one split at 1, 2 and 3 ranks: same test rows, same AUC (1e-4)" $PY -c "
import json
r = [json.load(open(f's{k}/result.json')) for k in (1, 2, 3)]
d = [x['data'] for x in r]
assert d[0]['test_rows_digest'] == d[1]['test_rows_digest'] == d[2]['test_rows_digest'], d
assert d[0]['test_rows'] == d[1]['test_rows'] == d[2]['test_rows'] and d[0]['train_rows'] == d[2]['train_rows'], d
a = [x['test']['auc'] for x in r]
assert abs(a[0] - a[1]) < 1e-4 and abs(a[0] - a[2]) < 1e-4, a
"
# a separate test file: its rows' labels are gathered from every rank into the digest
"$BIN" gen --task classification --rows 1000 --features 12 --seed 22 --out held.h5 2>/dev/null
expect_ok "$BIN" train split.ini --set data.test=held.h5 --set optimizer.epochs=5 --out t1 --quiet
expect_ok ${MPI/-n 2/-n 3} "$BIN" train split.ini --set data.test=held.h5 --set optimizer.epochs=5 --out t3 --quiet
check "a test file at 1 and 3 ranks: the same digest, not the split's" $PY -c "
import json
d = [json.load(open(f'{k}/result.json'))['data'] for k in ('t1', 't3', 's1')]
assert d[0]['test_rows_digest'] == d[1]['test_rows_digest'] != d[2]['test_rows_digest'], d
assert d[0]['test_rows'] == d[1]['test_rows'] == 1000, d
"
finish
