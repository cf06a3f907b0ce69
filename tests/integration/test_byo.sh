# Bringing your own data (issue 18): a mixed CSV (numeric, categorical, missing cells,
# a yes/no label) through train, result.json (class names, preprocessing, leakage),
# model.h5's /prep (h5py), predict on raw rows by column name (unknown categories,
# missing cells, reordered and extra columns), fail; the leak check end to end (a test
# file whose category and values training never sees); iris and wine with string
# labels against their numeric runs; .npy/.npz against the same data in HDF5; malformed
# NumPy files; the split and the encoders the same under mpirun -n 2.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

$PY - <<'EOF'
import numpy as np
rng = np.random.default_rng(5)
n = 3000
cities = ['london', 'paris', 'berlin', 'rome', 'oslo']
with open('churn.csv', 'w') as f:
    f.write('tenure,city,monthly,plan,churn\n')
    for i in range(n):
        t = rng.normal(24, 8); c = rng.choice(cities, p=[.4, .3, .2, .06, .04]); m = rng.normal(50, 15)
        plan = rng.choice(['basic', 'pro', 'max, annual'])
        z = -0.08 * (t - 24) + {'london': 1.0, 'rome': -0.7}.get(c, 0) + 0.03 * (m - 50) + (0.9 if plan == 'pro' else 0)
        y = 'yes' if rng.random() < 1 / (1 + np.exp(-z)) else 'no'
        ts = '' if rng.random() < 0.05 else f'{t:.1f}'
        ms = 'NA' if rng.random() < 0.05 else f'{m:.2f}'
        f.write(f'{ts},{c},{ms},"{plan}",{y}\n')
EOF
cat > churn.ini <<EOF
[data]
train = churn.csv
seed = 4
max_categories = 4
add_indicator = true
[model]
type = logistic
[optimizer]
name = lbfgs
EOF
expect_ok "$BIN" train churn.ini --out churn --quiet
check "result.json: string classes, preprocessing, leakage" $PY - <<'EOF'
import json
r = json.load(open('churn/result.json'))
d = r['data']
assert d['class_names'] == ['no', 'yes'], d
assert r['test']['confusion_labels'] == ['no', 'yes'], r['test']
assert [c['class'] for c in r['test']['per_class']] == ['no', 'yes']
p = d['preprocessing']
cols = {c['name']: c for c in p['columns']}
assert cols['tenure']['type'] == 'numeric' and cols['city']['type'] == 'categorical', cols
assert cols['plan']['kept'] == ['basic', 'max, annual', 'pro'], cols['plan']
# max_categories = 4: three kept cities, the two rarest (rome, oslo) grouped as other
assert cols['city']['kept'] == ['berlin', 'london', 'paris'] and cols['city']['grouped_as_other'] == 2, cols['city']
assert cols['tenure']['indicator'] and cols['monthly']['indicator'] and not cols['city']['indicator']
assert p['imputed_cells']['train'] > 0 and p['imputed_cells']['test'] > 0, p
assert d['features'] == 2 + 2 + 4 + 4 == p['features'], (d['features'], p['features'])  # tenure(+ind) monthly(+ind) city plan
assert all(f['rows'] == 'train' and f['row_count'] == d['train_rows'] for f in d['leakage']['fitted'] if 'row_count' in f)
assert 0.6 < r['test']['auc'] < 1, r['test']['auc']
names = [c['feature'] for c in r['coefficients']['top']]
assert 'city=london' in names, names
EOF
check "model.h5: /prep and class_names (h5py)" $PY - <<'EOF'
import h5py
f = h5py.File('churn/model.h5', 'r')
names = [s.decode() if isinstance(s, bytes) else s for s in f.attrs['class_names']]
assert names == ['no', 'yes'], names
g = f['prep']
cols = [s.decode() if isinstance(s, bytes) else s for s in g.attrs['columns']]
assert cols == ['tenure', 'city', 'monthly', 'plan'], cols
assert g.attrs['impute'] in ('mean', b'mean') and int(g.attrs['fit_rows']) > 0
kept = [s.decode() if isinstance(s, bytes) else s for s in g['categories/1'].attrs['kept']]
assert kept == ['berlin', 'london', 'paris'], kept
fn = [s.decode() if isinstance(s, bytes) else s for s in f.attrs['feature_names']]
assert 'city=other' in fn and 'tenure_missing' in fn, fn
EOF

# predict on raw rows: other column order, an extra column, no label, a missing cell, an
# unknown city (tokyo) that must encode as other, exactly like a rare one (oslo)
cat > new.csv <<'EOF'
plan,note,monthly,city,tenure
pro,a,70,london,10
basic,b,NA,tokyo,30
basic,c,NA,oslo,30
"max, annual",d,40,paris,
EOF
"$BIN" predict --model churn/model.h5 --data new.csv --out pred.csv 2> pred.err
check "predict exits 0" test -s pred.csv
check "predict: prob_yes, string predictions, unknown = other" $PY - <<'EOF'
import csv
rows = list(csv.reader(open('pred.csv')))
assert rows[0] == ['prob_yes', 'pred'], rows[0]
assert len(rows) == 5 and all(r[1] in ('yes', 'no') for r in rows[1:]), rows
assert rows[2][0] == rows[3][0], (rows[2], rows[3])  # tokyo (unknown) == oslo (grouped as other)
assert (float(rows[1][0]) >= 0.5) == (rows[1][1] == 'yes')
EOF
check "predict says what it did" grep -q 'city.*1 cells have categories training never saw' pred.err
check "predict says the extra column is ignored" grep -q '1 column the model does not use is ignored' pred.err
# an int8 variant keeps the raw-column encoding and the class names: predict reads the same raw rows
expect_ok "$BIN" quantize churn/model.h5 --precision int8 --out churn-int8.h5 --requests 20 --calibration-rows 64
"$BIN" predict --model churn-int8.h5 --data new.csv --out pred8.csv 2> pred8.err
check "quantized: /prep and class_names kept, raw rows predicted by name" $PY - <<'EOF'
import csv, h5py
f = h5py.File('churn-int8.h5', 'r')
names = [c.decode() if isinstance(c, bytes) else c for c in f.attrs['class_names']]
assert 'prep' in f and names == ['no', 'yes'], (list(f), names)
rows = list(csv.reader(open('pred8.csv')))
assert rows[0] == ['prob_yes', 'pred'] and len(rows) == 5, rows
EOF
printf 'plan,monthly,city\npro,70,london\n' > short.csv
expect_error 2 'short.csv: has no column "tenure" \(a feature of the model\)' "$BIN" predict --model churn/model.h5 --data short.csv
printf 'plan,monthly,city,tenure\npro,lots,london,3\n' > text.csv
expect_error 2 'text.csv:2: column "monthly" holds text \("lots"\)' "$BIN" predict --model churn/model.h5 --data text.csv

# impute = fail keeps the old behaviour: exit 2 at the first missing cell
expect_error 2 'churn.csv:[0-9]+: empty cell in column [13] "(tenure|monthly)" \(data.impute = fail\)' \
  "$BIN" train churn.ini --out fail --set data.impute=fail
expect_error 2 'data.max_categories: must be 0 \(no limit\) or at least 2' "$BIN" train churn.ini --out mc --set data.max_categories=1
expect_error 2 'categorical column "nope" is not in the header' "$BIN" train churn.ini --out nope --set data.categorical=nope

# The leak check end to end: with val_fraction = 0 and a test file the training split is
# every row of data.train, so the fitted values must be exactly data.train's statistics;
# the test file has a city (tokyo) and huge values training never sees.
$PY - <<'EOF'
import csv
rows = list(csv.reader(open('churn.csv')))
with open('leak_test.csv', 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(rows[0])
    for r in rows[1:201]:
        w.writerow(['100000', 'tokyo', '999999', r[3], r[4]])
    for r in rows[201:401]:
        w.writerow(r)
EOF
expect_ok "$BIN" train churn.ini --out leak --quiet --set data.test=leak_test.csv --set data.val_fraction=0 \
  --set early_stopping.enabled=false --set data.impute=median
check "fits see only the training rows (median, categories), unknowns counted" $PY - <<'EOF'
import csv, json, statistics
rows = list(csv.DictReader(open('churn.csv')))
r = json.load(open('leak/result.json'))
p = r['data']['preprocessing']
cols = {c['name']: c for c in p['columns']}
for name in ('tenure', 'monthly'):
    vals = [float(x[name]) for x in rows if x[name] not in ('', 'NA')]
    assert abs(cols[name]['fill'] - statistics.median(vals)) < 1e-5 * abs(statistics.median(vals)), (name, cols[name]['fill'], statistics.median(vals))
    assert cols[name]['missing_train'] == sum(x[name] in ('', 'NA') for x in rows)
assert 'tokyo' not in cols['city']['kept']
assert cols['city']['unknown_cells']['test'] == 200 and p['unknown_category_cells']['test'] == 200, cols['city']
assert cols['city']['unknown_cells']['train'] == 0
assert p['fitted_on'].startswith('the training split of data.train (3000 of its 3000 rows)'), p['fitted_on']
EOF

# the split rule and the encoders under MPI: the same test rows and fitted values
if command -v mpirun > /dev/null; then
  expect_ok mpirun -n 2 --oversubscribe -x OMP_NUM_THREADS=1 "$BIN" train churn.ini --out churn2 --quiet
  check "mpirun -n 2: same test rows, same fitted values" $PY - <<'EOF'
import json
a, b = json.load(open('churn/result.json')), json.load(open('churn2/result.json'))
assert a['data']['test_rows_digest'] == b['data']['test_rows_digest']
assert a['data']['preprocessing'] == b['data']['preprocessing'], (a['data']['preprocessing'], b['data']['preprocessing'])
assert abs(a['test']['auc'] - b['test']['auc']) < 1e-3, (a['test']['auc'], b['test']['auc'])
EOF
fi

# info: per-column type, missing count and cardinality
"$BIN" info churn.csv > info.json
check "info: columns" $PY - <<'EOF'
import csv, json
d = json.load(open('info.json'))
rows = list(csv.DictReader(open('churn.csv')))
cols = {c['name']: c for c in d['columns']}
assert cols['city'] == {'name': 'city', 'type': 'categorical', 'missing': 0, 'cardinality': 5}, cols['city']
assert cols['tenure']['type'] == 'numeric' and cols['tenure']['missing'] == sum(r['tenure'] == '' for r in rows)
assert cols['monthly']['missing'] == sum(r['monthly'] == 'NA' for r in rows)
assert cols['churn']['type'] == 'label (string)' and d['labels']['classes'] == ['no', 'yes']
assert sum(d['labels']['counts'].values()) == 3000
EOF

# iris and wine with a string label column: the same runs as with their numeric labels
# (the names sort as the numbers do, so every metric and matrix must be identical)
awk -F, 'BEGIN{OFS=","} NR==1{print; next} {$NF = ($NF==0 ? "setosa" : $NF==1 ? "versicolor" : "virginica"); print}' \
  "$SRC/tests/data/iris.csv" > iris_names.csv
awk -F, 'BEGIN{OFS=","} NR==1{print; next} {$NF = "class_" $NF; print}' "$SRC/tests/data/wine.csv" > wine_names.csv
for ds in iris wine; do
  src="$SRC/tests/data/$ds.csv"
  expect_ok "$BIN" train /dev/null --set data.train="$src" --set model.type=softmax --set optimizer.name=lbfgs --out $ds-num --quiet
  expect_ok "$BIN" train /dev/null --set data.train=${ds}_names.csv --set model.type=softmax --set optimizer.name=lbfgs --out $ds-str --quiet
  check "$ds: string labels give the numeric run's results" $PY - $ds <<'EOF'
import json, sys
ds = sys.argv[1]
a, b = json.load(open(ds + '-num/result.json')), json.load(open(ds + '-str/result.json'))
for k in ('accuracy', 'f1', 'auc'):
    assert abs(a['test'][k] - b['test'][k]) < 1e-9, (k, a['test'][k], b['test'][k])
assert a['test']['confusion_matrix'] == b['test']['confusion_matrix']
names = b['data']['class_names']
assert names == (['setosa', 'versicolor', 'virginica'] if ds == 'iris' else ['class_0', 'class_1', 'class_2']), names
assert b['test']['confusion_labels'] == names and a['test']['confusion_labels'] == [0, 1, 2]
EOF
done
"$BIN" predict --model iris-str/model.h5 --data iris_names.csv > iris_pred.csv
check "iris predict: prob_<name> columns, names as predictions" $PY - <<'EOF'
import csv
rows = list(csv.reader(open('iris_pred.csv')))
assert rows[0] == ['prob_setosa', 'prob_versicolor', 'prob_virginica', 'pred'], rows[0]
truth = [r[-1] for r in csv.reader(open('iris_names.csv'))][1:]
acc = sum(p[-1] == t for p, t in zip(rows[1:], truth)) / len(truth)
assert acc > 0.9, acc
EOF

# HDF5 string datasets: string labels (fixed-length, as numpy 'S' arrays) and a
# variable-length string column named in data.categorical; predict reads them by name
$PY - <<'EOF'
import numpy as np, h5py
rng = np.random.default_rng(3)
n = 3000
X = rng.normal(size=(n, 3)).astype('f4')
city = rng.choice(['london', 'paris', 'rome'], n)
y = np.where(X[:, 0] + 1.5 * (city == 'london') + 0.3 * rng.normal(size=n) > 0.5, 'yes', 'no')
X[5, 1] = np.nan
with h5py.File('strings.h5', 'w') as f:
    f['X'] = X
    f['X'].attrs['feature_names'] = ['a', 'b', 'c']
    f['y'] = y.astype('S')
    f.create_dataset('city', data=list(city), dtype=h5py.string_dtype())
    f['short'] = np.array(['x'] * 10, dtype='S')
EOF
expect_ok "$BIN" train /dev/null --set data.train=strings.h5 --set data.categorical=city --set optimizer.name=lbfgs --out h5str --quiet
check "HDF5: string labels and a string column" $PY - <<'EOF'
import json
r = json.load(open('h5str/result.json'))
assert r['data']['class_names'] == ['no', 'yes'] and r['test']['confusion_labels'] == ['no', 'yes']
cols = {c['name']: c for c in r['data']['preprocessing']['columns']}
assert cols['city']['kept'] == ['london', 'paris', 'rome'] and cols['b']['missing_train'] <= 1, cols
assert r['test']['auc'] > 0.95, r['test']['auc']
names = [c['feature'] for c in r['coefficients']['top']]
assert 'city=london' in names, names
EOF
"$BIN" predict --model h5str/model.h5 --data strings.h5 > h5pred.csv 2> /dev/null
check "predict on HDF5 with a string column" $PY -c "
import csv; rows = list(csv.reader(open('h5pred.csv')))
assert rows[0] == ['prob_yes', 'pred'] and len(rows) == 3001 and rows[1][1] in ('yes', 'no'), rows[:3]"
"$BIN" info strings.h5 > h5info.json
check "info on HDF5 with string labels" $PY -c "
import json; d = json.load(open('h5info.json'))
assert d['labels']['classes'] == ['no', 'yes'] and sum(d['labels']['counts'].values()) == 3000, d['labels']"
expect_error 2 "strings.h5: dataset 'short' has 10 rows, X has 3000" "$BIN" train /dev/null --set data.train=strings.h5 --set data.categorical=short --out bad4
expect_error 2 "strings.h5: dataset 'a' does not hold strings|strings.h5: has no dataset 'a'" "$BIN" train /dev/null --set data.train=strings.h5 --set data.categorical=a --out bad5

# NumPy: .npy with y beside it and .npz give the run of the same data in HDF5
$PY - <<'EOF'
import numpy as np, h5py
rng = np.random.default_rng(2)
X = rng.normal(size=(2000, 6)); y = (X[:, 0] - X[:, 3] + 0.3 * rng.normal(size=2000) > 0).astype(np.int64)
X32 = X.astype(np.float32)
with h5py.File('same.h5', 'w') as f: f['X'] = X32; f['y'] = y
np.save('X_train.npy', X32); np.save('y_train.npy', y)
np.save('X64.npy', X32.astype(np.float64)); np.save('labels.npy', y.astype(np.uint8))
np.savez('same.npz', X=X32, y=y, feature_names=np.array([f'f{i}' for i in range(6)]))
np.savez_compressed('named.npz', feats=X32.astype('>f8'), target=y.astype(np.int32))
np.save('fortran.npy', np.asfortranarray(X))
np.save('cube.npy', np.zeros((2, 2, 2)))
np.save('ints.npy', np.zeros((4, 2), np.int32))
np.save('short_y.npy', np.zeros(4))
open('trunc.npy', 'wb').write(open('X64.npy', 'rb').read()[:500])
open('magic.npy', 'wb').write(b'NUMPY\x01\x00' + b' ' * 100)
h = open('X64.npy', 'rb').read()
open('badhdr.npy', 'wb').write(h.replace(b"'fortran_order': False", b"'fortran_order': Nope!"))
EOF
expect_ok "$BIN" train /dev/null --set data.train=same.h5 --set optimizer.name=lbfgs --out h5 --quiet
expect_ok "$BIN" train /dev/null --set data.train=X_train.npy --set optimizer.name=lbfgs --out npy --quiet
expect_ok "$BIN" train /dev/null --set data.train=X64.npy --set data.y_dataset=labels.npy --set optimizer.name=lbfgs --out npy64 --quiet
expect_ok "$BIN" train /dev/null --set data.train=same.npz --set optimizer.name=lbfgs --out npz --quiet
expect_ok "$BIN" train /dev/null --set data.train=named.npz --set data.x_dataset=feats --set data.y_dataset=target --set optimizer.name=lbfgs --out npzc --quiet
check "npy, npz: the HDF5 run's results" $PY - <<'EOF'
import json
ref = json.load(open('h5/result.json'))
for run in ('npy', 'npy64', 'npz', 'npzc'):
    r = json.load(open(run + '/result.json'))
    assert r['data']['test_rows_digest'] == ref['data']['test_rows_digest'], run
    assert abs(r['test']['auc'] - ref['test']['auc']) < 1e-9, (run, r['test']['auc'], ref['test']['auc'])
EOF
"$BIN" info same.npz > npz.json
check "info .npz: format, names, labels" $PY -c "
import json; d = json.load(open('npz.json'))
assert d['format'] == 'npz' and d['rows'] == 2000 and d['feature_names'][0] == 'f0' and sum(d['labels']['counts'].values()) == 2000, d"
"$BIN" predict --model npz/model.h5 --data same.npz > npz_pred.csv
check "predict on .npz" test "$(wc -l < npz_pred.csv)" -eq 2001
expect_error 2 'fortran.npy: is in Fortran order' "$BIN" train /dev/null --set data.train=fortran.npy --out bad1
expect_error 2 'cube.npy: .npy array has more than 2 dimensions' "$BIN" info cube.npy
expect_error 2 'ints.npy: features must be float32 or float64' "$BIN" info ints.npy
expect_error 2 'trunc.npy: .npy data is truncated' "$BIN" info trunc.npy
expect_error 2 'magic.npy: not a NumPy .npy file' "$BIN" info magic.npy
expect_error 2 'badhdr.npy: .npy header: fortran_order is not True or False' "$BIN" info badhdr.npy
expect_error 2 'same.npz: has no array .X2. \(data.x_dataset\); its members: ' "$BIN" train /dev/null --set data.train=same.npz --set data.x_dataset=X2 --out bad2
expect_error 2 'short_y.npy: has 4 labels for 2000 rows of features' "$BIN" train /dev/null --set data.train=X64.npy --set data.y_dataset=short_y.npy --out bad3
check "no outputs of failed runs" test ! -e bad1/result.json -a ! -e bad2/result.json -a ! -e fail/result.json

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
