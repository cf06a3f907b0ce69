# The trainer through the CLI: softmax and MLP on real and generated data, multiclass
# predictions, optimizers and schedules, and a spot-style interruption: SIGTERM mid-run
# writes a checkpoint and exits 0 within 2 s with stop_reason "interrupted"; --resume then
# ends with weights bit-identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"

cat > iris.ini <<EOF2
[data]
train = $SRC/tests/data/iris.csv
seed = 2
[model]
type = softmax
[optimizer]
name = lbfgs
epochs = 200
l2 = 0.001
[early_stopping]
enabled = false
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
expect_ok "$BIN" train iris.ini --out iris --quiet
check "softmax on iris" $PY -c "
import json; r = json.load(open('iris/result.json'))
assert r['task'] == 'multiclass' and r['data']['classes'] == 3, r['data']
assert r['test']['accuracy'] >= 0.9 and r['stop_reason'] == 'converged', (r['test'], r['stop_reason'])
cm = r['test']['confusion_matrix']; assert len(cm) == 3 and sum(map(sum, cm)) == r['data']['test_rows']
"
check_history iris "accuracy f1" lbfgs
expect_ok "$BIN" predict --model iris/model.h5 --data "$SRC/tests/data/iris.csv" --out iris.csv
check "multiclass predictions have one column per class" $PY -c "
import csv; rows = list(csv.reader(open('iris.csv')))
assert rows[0] == ['prob_0', 'prob_1', 'prob_2', 'pred'], rows[0]
assert len(rows) == 151 and abs(sum(map(float, rows[1][:3])) - 1) < 1e-5
truth = [r[-1] for r in csv.reader(open('$SRC/tests/data/iris.csv'))][1:]
acc = sum(float(a) == float(b) for a, b in zip([r[3] for r in rows[1:]], truth)) / 150
assert acc > 0.9, acc
"

"$BIN" gen --task classification --rows 20000 --features 32 --classes 4 --informative 12 --seed 5 --out mc.h5 2>/dev/null
cat > mlp.ini <<EOF2
[data]
train = mc.h5
[model]
type = mlp
hidden = 256,128
dropout = 0.1
[optimizer]
name = adam
lr = 0.002
batch_size = 128
epochs = 30
schedule = cosine
[early_stopping]
monitor = val_accuracy
patience = 100
[checkpoint]
every_epochs = 2
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
expect_ok "$BIN" train mlp.ini --out whole --quiet
check "mlp learns 4 classes; cosine schedule decays lr" $PY -c "
import json, csv; r = json.load(open('whole/result.json'))
assert r['test']['accuracy'] > 0.8 and r['model']['params'] == 32*256+256+256*128+128+128*4+4, r
lrs = [float(row['lr']) for row in csv.DictReader(open('whole/history.csv'))]
assert lrs[0] == 0.002 and lrs[-1] < lrs[0] / 10, lrs
"
check_history whole "accuracy f1"
check "checkpoint written every 2 epochs" test -f whole/checkpoint/checkpoint.h5

for opt in sgd momentum nesterov adamw; do
  expect_ok "$BIN" train mlp.ini --out "opt-$opt" --quiet --set optimizer.name=$opt --set optimizer.epochs=3 --set optimizer.lr=0.01
done
check "every optimizer trains" $PY -c "
import json
for o in ['sgd', 'momentum', 'nesterov', 'adamw']:
    r = json.load(open('opt-%s/result.json' % o)); assert r['test']['accuracy'] > 0.35, (o, r['test'])  # chance: 0.25
"

# numerical faults: an exploding run stops with its reason, exit 1, and never leaves a
# model with non-finite weights; a divergence threshold stops on the monitored value
"$BIN" train mlp.ini --out boom --quiet --set optimizer.name=sgd --set optimizer.lr=90 \
  --set early_stopping.enabled=false --set model.dropout=0 2> boom.err
rc=$?
check "exploding loss: exit 1 (got $rc)" test $rc -eq 1
check "exploding loss: clear message" grep -q "non-finite" boom.err
check "exploding loss: recorded, and no NaN model" $PY -c "
import json, os, h5py, numpy as np
r = json.load(open('boom/result.json')); assert r['stop_reason'] == 'non_finite', r['stop_reason']
if os.path.exists('boom/model.h5'):
    f = h5py.File('boom/model.h5', 'r')
    assert all(np.isfinite(f['layers'][l][p][:]).all() for l in f['layers'] for p in ('W', 'b'))
    assert r['best_epoch'] >= 1
"
"$BIN" train mlp.ini --out div --quiet --set early_stopping.monitor=val_loss \
  --set early_stopping.divergence_threshold=0.0001 2> div.err
rc=$?
check "divergence threshold: exit 1 (got $rc)" test $rc -eq 1
check "divergence threshold: recorded with the best weights" $PY -c "
import json, h5py, numpy as np
r = json.load(open('div/result.json')); assert r['stop_reason'] == 'divergence' and r['best_epoch'] == 1, r
f = h5py.File('div/model.h5', 'r')
assert all(np.isfinite(f['layers'][l][p][:]).all() for l in f['layers'] for p in ('W', 'b'))
"

# interruption: the same job, killed with SIGTERM mid-run, then resumed
"$BIN" train mlp.ini --out cut --quiet &
pid=$!
# mid-run: once the first epoch's checkpoint is there (the whole run takes about 4 s)
await_term_handler $pid
for _ in $(seq 6000); do [[ -e cut/checkpoint/checkpoint.h5 ]] && break; sleep 0.01; done
term_latency $pid cut/result.json
check "SIGTERM exits 0 (got $term_rc)" test $term_rc -eq 0
check "SIGTERM: checkpoint and result.json within 2 s ($term_s s)" $PY -c "assert $term_s < 2.0"
check "interrupted run records its reason" $PY -c "
import json; r = json.load(open('cut/result.json'))
assert r['stop_reason'] == 'interrupted' and r['epochs_run'] < 30, (r['stop_reason'], r['epochs_run'])
"
expect_ok "$BIN" train mlp.ini --out cut --quiet --resume
check "resumed run is bit-identical to the uninterrupted one" $PY -c "
import h5py, numpy as np, csv, json
a, b = h5py.File('whole/model.h5', 'r'), h5py.File('cut/model.h5', 'r')
for l in a['layers']:
    for p in ('W', 'b'): assert np.array_equal(a['layers'][l][p][:], b['layers'][l][p][:]), (l, p)
timing = ('epoch_s', 'io_wait_s', 'comm_s')  # all else: the losses, lr and every metric
ha = [{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open('whole/history.csv'))]
hb = [{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open('cut/history.csv'))]
assert len(ha) == 30 and set(ha[0]) >= {'train_accuracy', 'val_accuracy', 'train_f1', 'val_f1'}, ha[0]
assert ha == hb, [(a, b) for a, b in zip(ha, hb) if a != b][:2]
ra, rb = json.load(open('whole/result.json')), json.load(open('cut/result.json'))
assert ra['test'] == rb['test'] and rb['epochs_run'] == 30
"
expect_error 2 "checkpoint was written by a different job: optimizer.lr = 0.002 in the checkpoint, 0.5 in this job" "$BIN" train mlp.ini --out cut --quiet --resume --set optimizer.lr=0.5
# on a TTY the bar moves within an epoch that takes over a second: step, samples/s, elapsed
# (an epoch made slow by the storage model, not by this machine's speed: 5 batches of
# sequential 400 ms GETs)
if command -v script >/dev/null; then
  script -qc "'$BIN' train mlp.ini --out tty --set optimizer.epochs=1 --set optimizer.batch_size=4096 --set storage.backend=s3 --set storage.s3.first_byte_ms=400 --set storage.read_threads=1 --set storage.prefetch=0 --set storage.shuffle=none" /dev/null > tty.out 2>&1
  check "the TTY bar shows the steps within an epoch" grep -qE 'epoch 1/1  step [0-9]+/[0-9]+  [0-9]+ samples/s' tty.out
fi
# --resume is idempotent: before any checkpoint there is nothing to resume, the run starts
# from the beginning and says so (a spot wrapper always passes --resume)
"$BIN" train mlp.ini --out fresh --resume --set optimizer.epochs=2 > fresh.out 2>&1
rc=$?
check "--resume without a checkpoint starts from the beginning (exit $rc)" bash -c "[[ $rc == 0 ]] && grep -q 'no checkpoint at .* yet: starting from the beginning' fresh.out && test -f fresh/result.json"
finish
