#!/usr/bin/env bash
# Bring-your-own-table benchmark (issue 18): writes a mixed table (numeric columns with
# missing cells, categorical columns of low and high cardinality, some missing, a yes/no
# label) of ROWS rows as train.csv (80%) and test.csv (20%) into bench/out/, then trains
# tradeoff's pipeline on the raw CSV (import, impute, one-hot, standardize, logistic
# L-BFGS; data.test = test.csv, val_fraction = 0, so both train on every training row)
# and sklearn's ColumnTransformer(SimpleImputer, OneHotEncoder) + StandardScaler +
# LogisticRegression with the same objective (bench/peers/sk_byo.py), in one run on this
# machine. Prints a markdown table: test AUC of each, their difference, features, times
# (best of REPEATS).
#
# Usage: bench/bench_byo.sh [BUILD_DIR]        Environment: ROWS=100000 REPEATS=3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
rows=${ROWS:-100000}
reps=${REPEATS:-3}
py=/usr/bin/python3
out=$here/out/byo_$rows
mkdir -p "$out"
bin=$build/tradeoff
maxcat=20
l2=0.0001

if [ ! -s "$out/test.csv" ]; then
  "$py" - "$out" "$rows" <<'PY'
import sys
import numpy as np
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(18)
regions = np.array(['north', 'south', 'east', 'west', 'central'])
devices = np.array(['ios', 'android', 'web'])
merchants = np.array([f'm{i:03d}' for i in range(300)])
mw = 1.0 / np.arange(1, 301) ** 1.1          # Zipf-like: a few big merchants, a long tail
mw /= mw.sum()
m_effect = rng.normal(0, 0.8, 300)
amount = rng.lognormal(3, 1, n)
age = rng.normal(40, 12, n)
tenure = rng.exponential(24, n)
score = rng.normal(0, 1, n)
region = rng.choice(5, n, p=[.3, .25, .2, .15, .1])
device = rng.choice(3, n, p=[.45, .4, .15])
merchant = rng.choice(300, n, p=mw)
z = (0.6 * np.log(amount) - 0.03 * (age - 40) - 0.02 * tenure + 0.8 * score
     + np.array([0.5, -0.3, 0, 0.2, -0.6])[region] + np.array([0, 0.4, -0.5])[device] + m_effect[merchant] - 1.8)
y = rng.random(n) < 1 / (1 + np.exp(-z))
def cell(v, p, fmt):
    return '' if rng.random() < p else fmt % v
cut = int(n * 0.8)
for name, lo, hi in (('train.csv', 0, cut), ('test.csv', cut, n)):
    with open(f'{out}/{name}.tmp', 'w') as f:
        f.write('amount,age,tenure,score,region,device,merchant,fraud\n')
        for i in range(lo, hi):
            a = cell(amount[i], 0.04, '%.2f')
            g = 'NA' if rng.random() < 0.08 else '%.1f' % age[i]
            t = cell(tenure[i], 0.02, '%.2f')
            s = '%.4f' % score[i]
            rg = '' if rng.random() < 0.03 else regions[region[i]]
            f.write(f'{a},{g},{t},{s},{rg},{devices[device[i]]},{merchants[merchant[i]]},{"yes" if y[i] else "no"}\n')
    import os
    os.replace(f'{out}/{name}.tmp', f'{out}/{name}')
PY
fi

cat > "$out/byo.ini" <<INI
[data]
train = $out/train.csv
test = $out/test.csv
val_fraction = 0
max_categories = $maxcat
impute = mean
[model]
type = logistic
[optimizer]
name = lbfgs
epochs = 1000
l2 = $l2
tol = 0.000001
[early_stopping]
enabled = false
INI

best=inf
for i in $(seq "$reps"); do
  s=$(date +%s.%N)
  "$bin" train "$out/byo.ini" --out "$out/run" --force --quiet
  e=$(date +%s.%N)
  best=$("$py" -c "print(min(float('$best'), $e - $s))")
done
"$py" "$here/peers/sk_byo.py" "$out/train.csv" "$out/test.csv" "$out/sk.json" --label fraud \
  --categorical region,device,merchant --max-categories $maxcat --l2 $l2 --repeats "$reps"

"$py" - "$out/run/result.json" "$out/sk.json" "$best" "$rows" <<'PY'
import json, sys
r, s, best, rows = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3]), int(sys.argv[4])
auc = r['test']['auc']
print(f"mixed table: {rows:,} rows (80% train, 20% test), 4 numeric columns with missing cells, 3 categorical "
      f"(5, 3 and 300 categories, max_categories = 20)\n")
print("| pipeline | features | test AUC | time (s) |")
print("|---|---|---|---|")
print(f"| tradeoff train (read CSV, impute, one-hot, standardize, logistic L-BFGS, metrics, outputs), best of runs | "
      f"{r['data']['features']} | {auc:.6f} | {best:.2f} |")
print(f"| of which training (`time.train_s`) | | | {r['time']['train_s']:.2f} |")
print(f"| sklearn ColumnTransformer + StandardScaler + LogisticRegression: fit | {s['features']} | {s['test_auc']:.6f} | "
      f"{s['fit_s']:.2f} |")
print(f"| sklearn: predict_proba on the test file | | | {s['predict_s']:.2f} |")
print(f"| sklearn: reading both CSV files (Python csv module; no pandas here) | | | {s['read_csv_s']:.2f} |")
print(f"\n|AUC difference| = {abs(auc - s['test_auc']):.2e} (must be < 0.002)")
assert abs(auc - s['test_auc']) < 0.002, (auc, s['test_auc'])
PY
