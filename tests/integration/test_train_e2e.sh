# The whole path: gen -> info -> train (logistic and linear) -> result.json and
# history.csv as DESIGN.md specifies; import of CSV and LIBSVM; h5py reads our files.
source "$(dirname "$0")/lib.sh"

expect_ok "$BIN" gen --task classification --rows 5000 --features 12 --informative 4 --noise 0.02 --seed 7 --out cls.h5
expect_ok "$BIN" info cls.h5
"$BIN" info cls.h5 > info.json
check "info: rows, features, dtype, label counts" $PY -c "
import json; d = json.load(open('info.json'))
assert d['rows'] == 5000 and d['features'] == 12 and d['dtype'] == 'float32', d
assert sum(d['labels']['counts'].values()) == 5000 and set(d['labels']['counts']) == {'0', '1'}, d
"
check "h5py reads gen output" $PY -c "
import h5py; f = h5py.File('cls.h5', 'r')
assert f['X'].shape == (5000, 12) and f['X'].dtype == 'float32' and f['y'].shape == (5000,)
names = [n.decode() if isinstance(n, bytes) else n for n in f['X'].attrs['feature_names']]
assert names[0] == 'informative_0', names[:3]
"
# same seed, same bytes
"$BIN" gen --task classification --rows 5000 --features 12 --informative 4 --noise 0.02 --seed 7 --out cls2.h5 2>/dev/null
check "gen is deterministic" $PY -c "
import h5py, numpy as np
a, b = h5py.File('cls.h5', 'r'), h5py.File('cls2.h5', 'r')
assert np.array_equal(a['X'][:], b['X'][:]) and np.array_equal(a['y'][:], b['y'][:])
"
expect_ok "$BIN" gen --task regression --rows 3000 --features 6 --noise 0.5 --shards 3 --out regshards
check "three shards" test -f regshards/part-00000.h5 -a -f regshards/part-00002.h5 -a ! -f regshards/part-00003.h5

cat > cls.ini <<EOF2
[data]
train = cls.h5
seed = 3
[model]
type = logistic
[optimizer]
lr = 0.05
batch_size = 64
epochs = 30
[early_stopping]
monitor = val_auc
patience = 3
[cost]
instance = c5.4xlarge
pricing = $SRC/configs/pricing.ini
EOF2
expect_ok "$BIN" train cls.ini --out run1 --quiet
check "result.json has the contract's fields" $PY -c "
import json; r = json.load(open('run1/result.json'))
for k in ['job','task','model','data','epochs_run','best_epoch','stop_reason','val','test','time',
          'throughput','au_percent','parallel','storage','cost']:
    assert k in r, k
assert r['job'] == 'cls' and r['task'] == 'binary' and r['model']['type'] == 'logistic'
d = r['data']
assert d['train_rows'] + d['val_rows'] + d['test_rows'] == 5000 and d['features'] == 12
assert d['duplicate_rows_test_in_train'] == 0
assert r['stop_reason'] in ('patience', 'max_epochs') and 1 <= r['best_epoch'] <= r['epochs_run'] <= 30
for k in ['accuracy','precision','recall','f1','auc','log_loss']: assert k in r['test'], k
assert r['test']['accuracy'] > 0.8 and r['test']['auc'] > 0.85, r['test']
for k in ['total_s','train_s','compute_s','io_wait_s','comm_s','checkpoint_s']: assert k in r['time'], k
c = r['cost']
for k in ['instance','nodes','spot','rate_usd_per_h','compute_usd','storage_usd','requests_usd','total_usd','saved_by_early_stop_usd']: assert k in c, k
assert abs(c['rate_usd_per_h'] - 0.68) < 1e-9 and c['total_usd'] > 0
assert abs(r['throughput']['samples_per_s'] - r['epochs_run'] * d['train_rows'] / r['time']['train_s']) < 1e-6 * r['throughput']['samples_per_s']
"
check_history run1 "accuracy auc"   # binary: the monitored val_auc is a headline metric
expect_ok "$BIN" train cls.ini --out run1p --quiet --set early_stopping.monitor=val_precision --set optimizer.epochs=3
check_history run1p "accuracy auc precision"   # the monitored metric after the headline ones
# model.h5 is h5py-readable and predict reproduces the accuracy
check "model.h5 layout" $PY -c "
import h5py; f = h5py.File('run1/model.h5', 'r')
a = dict(f.attrs)
assert a['format'] in ('tradeoff-model', b'tradeoff-model') and a['format_version'] == 3, a
assert a['task'] == 'binary' and a['outputs'] == 1 and a['model_type'] == 'logistic'
assert f['layers/0/W'].shape == (12, 1) and f['scaler/mean'].shape == (12,) and list(f['classes'][:]) == [0.0, 1.0]
job = a['job'].decode() if isinstance(a['job'], bytes) else a['job']
assert 'monitor = val_auc' in job
"
expect_ok "$BIN" predict --model run1/model.h5 --data cls.h5 --out preds.csv
check "predictions match labels" $PY -c "
import csv, h5py, numpy as np
rows = list(csv.DictReader(open('preds.csv')))
y = h5py.File('cls.h5', 'r')['y'][:]
pred = np.array([float(r['pred']) for r in rows]); prob = np.array([float(r['prob_1']) for r in rows])
assert len(rows) == 5000 and ((prob >= 0.5) == (pred == 1)).all()
assert (pred == y).mean() > 0.8, (pred == y).mean()
"
expect_error 2 "predict: --model and --data are required" "$BIN" predict --data cls.h5
expect_error 2 "cls.h5: not a tradeoff model file" "$BIN" predict --model cls.h5 --data cls.h5
expect_error 2 "nomodel.h5: no such model file" "$BIN" predict --model nomodel.h5 --data cls.h5
expect_error 2 'regshards: has no column "informative_3" \(a feature of the model\)' "$BIN" predict --model run1/model.h5 --data regshards --out p2.csv
check "no partial predictions" test ! -e p2.csv

# spot pricing and --set
expect_ok "$BIN" train cls.ini --out run2 --quiet --set cost.spot=true --set optimizer.epochs=3 --set early_stopping.enabled=false
check "spot rate is discounted; epochs from --set" $PY -c "
import json; r = json.load(open('run2/result.json'))
assert abs(r['cost']['rate_usd_per_h'] - 0.68 * (1 - 0.62)) < 1e-9 and r['cost']['spot'] is True
assert r['epochs_run'] == 3 and r['stop_reason'] == 'max_epochs'
"
# leakage guard: the test file is the training file
cat > leak.ini <<EOF2
[data]
train = cls.h5
test = cls.h5
[optimizer]
epochs = 2
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
"$BIN" train leak.ini --out leak > leak.out 2>&1
check "duplicates reported and warned" $PY -c "
import json; r = json.load(open('leak/result.json'))
assert r['data']['duplicate_rows_test_in_train'] > 4000, r['data']
assert 'duplicates' in open('leak.out').read()
"
# regression on shards
cat > reg.ini <<EOF2
[data]
train = regshards
[model]
type = linear
[optimizer]
name = lbfgs
epochs = 200
[early_stopping]
monitor = val_r2
[cost]
pricing = $SRC/configs/pricing.ini
EOF2
expect_ok "$BIN" train reg.ini --out reg --quiet
check "linear regression learns the shards" $PY -c "
import json; r = json.load(open('reg/result.json'))
assert r['task'] == 'regression' and r['test']['r2'] > 0.95, r['test']
assert r['data']['train_rows'] + r['data']['val_rows'] + r['data']['test_rows'] == 3000
"
check_history reg "rmse r2" lbfgs
# progress lines on a non-TTY stderr, nothing with --quiet
"$BIN" train cls.ini --out run3 --set optimizer.epochs=2 2> progress.txt
check "plain progress lines" grep -q "^epoch 1/2 train_loss" progress.txt
"$BIN" train cls.ini --out run4 --set optimizer.epochs=2 --quiet 2> quiet.txt
check "quiet is quiet" test ! -s quiet.txt
expect_ok "$BIN" train --help

# import CSV and LIBSVM (gz) and train on the imported file
$PY - <<'PY'
import gzip, numpy as np
rng = np.random.default_rng(0)
X = rng.normal(size=(2000, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
with open("d.csv", "w") as f:
    f.write("f0,f1,f2,f3,target\n")
    for row, t in zip(X, y): f.write(",".join("%.6f" % v for v in row) + ",%d\n" % t)
with gzip.open("d.libsvm.gz", "wt") as f:
    for row, t in zip(X, y): f.write("%d " % (2 * t - 1) + " ".join("%d:%.6f" % (j + 1, v) for j, v in enumerate(row) if v > -1) + "\n")
PY
expect_ok "$BIN" import d.csv --label-column target --out d.h5
check "imported CSV keeps names and labels" $PY -c "
import h5py, numpy as np; f = h5py.File('d.h5', 'r')
assert f['X'].shape == (2000, 4)
names = [n.decode() if isinstance(n, bytes) else n for n in f['X'].attrs['feature_names']]
assert names == ['f0', 'f1', 'f2', 'f3'], names
assert set(np.unique(f['y'][:])) == {0.0, 1.0}
"
expect_ok "$BIN" import d.libsvm.gz --out s.h5
printf '[data]\ntrain = s.h5\n[optimizer]\nepochs = 20\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > s.ini
expect_ok "$BIN" train s.ini --out srun --quiet
check "LIBSVM -1/+1 labels train as binary" $PY -c "
import json; r = json.load(open('srun/result.json')); assert r['test']['accuracy'] > 0.75, r['test']
"
# a default output directory never leaves runs/: a job named "...ini" wrote into runs/..
# (the current directory), beside and over the user's files
mkdir odd && cp s.ini 'odd/...ini' && cp s.h5 odd/ && echo keep > odd/result.json
(cd odd && expect_ok "$BIN" train '...ini' --quiet --set optimizer.epochs=2)
check "a job named ...ini writes to runs/unnamed" bash -c "test -f odd/runs/unnamed/result.json && [[ \$(cat odd/result.json) == keep ]]"
# task detection said out loud: a whole-number target with many values (a rounded
# price) is classes only because model.task = auto says so, and the warning says it
$PY -c "
import h5py, numpy as np
rng = np.random.default_rng(3); X = rng.normal(size=(600, 3)).astype('f4')
y = np.round(50 + 10 * X[:, 0] + X[:, 1]).astype('f4')
with h5py.File('price.h5', 'w') as f: f['X'] = X; f['y'] = y
"
printf '[data]\ntrain = price.h5\n[model]\ntype = mlp\nhidden = 8\n[optimizer]\nepochs = 2\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > price.ini
"$BIN" train price.ini --out price > price.out 2>&1
check "a rounded quantity as classes is said out loud" grep -q "distinct whole-number values .* set model.task = regression" price.out
expect_ok "$BIN" train price.ini --out price-r --quiet --set model.task=regression
check "model.task = regression decides" $PY -c "
import json; r = json.load(open('price-r/result.json')); assert r['task'] == 'regression', r['task']
"
# a regression target far from 0 is standardized with the features: an MLP on a target
# of mean 100 learns it (it ended at R^2 -618), and predict answers in the target's units
$PY -c "
import h5py, numpy as np
rng = np.random.default_rng(4); X = rng.normal(size=(4000, 5)).astype('f4')
y = (100 + 8 * X[:, 0] - 5 * X[:, 1] + 3 * np.tanh(X[:, 2])).astype('f4')
with h5py.File('mean100.h5', 'w') as f: f['X'] = X; f['y'] = y
"
printf '[data]\ntrain = mean100.h5\n[model]\ntype = mlp\nhidden = 32\ntask = regression\n[optimizer]\nepochs = 30\nlr = 0.003\n[early_stopping]\nmonitor = val_rmse\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > mean100.ini
expect_ok "$BIN" train mean100.ini --out m100 --quiet
expect_ok "$BIN" predict --model m100/model.h5 --data mean100.h5 --out m100.csv
check "an MLP regression on a target of mean 100: R^2 > 0.9, predictions near 100" $PY -c "
import json, csv, numpy as np
r = json.load(open('m100/result.json')); assert r['test']['r2'] > 0.9 and r['test']['rmse'] < 3, r['test']
p = np.array([float(row[0]) for row in list(csv.reader(open('m100.csv')))[1:]])
assert abs(p.mean() - 100) < 2, p.mean()
"
check_history m100 "rmse r2"
check "history.csv: rmse in the target's units, not the standardized ones" $PY -c "
import csv; rows = list(csv.DictReader(open('m100/history.csv')))
assert float(rows[0]['train_rmse']) > 1 and float(rows[-1]['val_rmse']) < 3, rows[-1]
"
# runs never clobber runs: without --out a second run of a job goes to runs/<job>-2 (said),
# --resume continues the latest; an --out that holds a run needs --force (or --resume)
mkdir again && cp s.ini s.h5 again/ && cd again
  expect_ok "$BIN" train s.ini --quiet --set optimizer.epochs=2
  "$BIN" train s.ini --set optimizer.epochs=2 > second.out 2>&1
  check "a second run of a job goes beside the first" bash -c "test -f runs/s/result.json -a -f runs/s-2/result.json && grep -q 'runs/s holds an earlier run: this one goes to runs/s-2' second.out"
  cp runs/s-2/result.json kept.json
  expect_error 2 'runs/s-2: holds an earlier run.s outputs: --force replaces them, --resume continues that run' "$BIN" train s.ini --out runs/s-2 --quiet
  check "the refused run left the earlier one as it was" cmp -s kept.json runs/s-2/result.json
  expect_ok "$BIN" train s.ini --out runs/s-2 --quiet --force --set optimizer.epochs=3
  check "--force replaces it" $PY -c "
import json; assert json.load(open('runs/s-2/result.json'))['epochs_max'] == 3
"
  "$BIN" train s.ini --resume --set optimizer.epochs=3 > resume.out 2>&1
  check "--resume without --out continues the latest run (runs/s-2)" bash -c "test ! -e runs/s-3 && grep -q 'runs/s-2' resume.out"
cd "$WORK"
# predict matches columns by name (sklearn >= 1.2 refuses mismatched names): reordered
# columns give the same predictions, the training label column (here "target", not last)
# is dropped, a features-only file is fine, a missing column is exit 2 naming it; the
# binary header names the class value
$PY -c "
import numpy as np
rng = np.random.default_rng(6); X = rng.normal(size=(800, 3))
y = np.where(X[:, 0] - 2 * X[:, 2] > 0, 7, 3)
with open('named.csv', 'w') as f:
    f.write('a,target,b,c\n')
    for r, t in zip(X, y): f.write(f'{r[0]:.6f},{t},{r[1]:.6f},{r[2]:.6f}\n')
with open('reordered.csv', 'w') as f:
    f.write('c,a,b\n')
    for r in X: f.write(f'{r[2]:.6f},{r[0]:.6f},{r[1]:.6f}\n')
with open('missing.csv', 'w') as f:
    f.write('a,b,extra\n')
    for r in X: f.write(f'{r[0]:.6f},{r[1]:.6f},1\n')
"
printf '[data]\ntrain = named.csv\nlabel_column = target\n[optimizer]\nepochs = 20\n[cost]\npricing = %s\n' "$SRC/configs/pricing.ini" > named.ini
expect_ok "$BIN" train named.ini --out named --quiet
expect_ok "$BIN" predict --model named/model.h5 --data named.csv --out p1.csv
expect_ok "$BIN" predict --model named/model.h5 --data reordered.csv --out p2.csv
check "columns by name: the same predictions in any order, without the label, header prob_7" $PY -c "
a, b = open('p1.csv').read().splitlines(), open('p2.csv').read().splitlines()
assert a == b and a[0] == 'prob_7,pred', (a[:3], b[:3])
import h5py; f = h5py.File('named/model.h5', 'r')
names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs['feature_names']]
assert names == ['a', 'b', 'c'] and f.attrs['label_column'] in ('target', b'target'), (names, f.attrs['label_column'])
"
expect_error 2 'missing.csv: has no column "c" \(a feature of the model\)' "$BIN" predict --model named/model.h5 --data missing.csv
finish
