#!/usr/bin/env bash
# ROC AUC on 14,400 rows (a history.csv epoch's validation or training rows at 20,000 x
# 0.72): tradeoff's radix sort, the qsort_r it replaced, and sklearn's roc_auc_score on the
# same labels and scores (best and median of the same number of calls; the peer is
# Debian's /usr/bin/python3, as the other bench scripts).
# Usage: bench/bench_metrics.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(dirname "$here")/build}
out="$here/out/metrics"
mkdir -p "$out"
"$build/bench/bench_metrics" 14400 200 1 "$out/scores.csv"
/usr/bin/python3 - "$out/scores.csv" <<'PY'
import sys, time
import numpy as np
from sklearn.metrics import roc_auc_score
d = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64)
y, s = d[:, 0], d[:, 1].astype(np.float32)
t = []
for _ in range(200):
    t0 = time.perf_counter(); a = roc_auc_score(y, s); t.append(1e3 * (time.perf_counter() - t0))
t.sort()
print(f"peer=sklearn-{__import__('sklearn').__version__} best_ms={t[0]:.4f} median_ms={t[len(t)//2]:.4f} auc={a:.17g}")
PY
