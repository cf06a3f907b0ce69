#!/usr/bin/env bash
# `tradeoff info` on a directory of 4,096 HDF5 shards (configs/storage-cv.ini's data set:
# one 3,072-feature row each, uncompressed), cold-ish (first call) and warm (best of 3),
# beside h5py reading the same metadata (each file's X shape and dtype, and its y) with
# Debian's /usr/bin/python3.
# Usage: bench/bench_info.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(dirname "$here")/build}
bin="$build/tradeoff"
out="$here/out/info"
mkdir -p "$out"
if [[ ! -d "$out/cv" ]]; then
  "$bin" gen --task classification --rows 4096 --features 3072 --classes 10 --shards 4096 \
    --compress 0 --seed 5 --out "$out/cv" 2>/dev/null
fi
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
first=$(secs "$bin" info "$out/cv")
best=$first
for _ in 1 2 3; do
  t=$(secs "$bin" info "$out/cv")
  best=$(echo "if ($t < $best) $t else $best" | bc)
done
"$bin" info "$out/cv" | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print('files', j['files'], 'rows', j['rows'], 'format', j['format'])"
peer=$(/usr/bin/python3 - "$out/cv" <<'PY'
import glob, os, sys, time
import h5py, numpy as np
best = None
for _ in range(3):
    t0 = time.perf_counter()
    rows = 0; ys = []
    for p in sorted(glob.glob(os.path.join(sys.argv[1], "*.h5"))):
        with h5py.File(p, "r") as f:
            rows += f["X"].shape[0]; _ = f["X"].dtype; ys.append(f["y"][()])
    np.unique(np.concatenate(ys), return_counts=True)
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(f"{best:.3f}")
PY
)
echo "tradeoff info: first ${first} s, best of 3 ${best} s; h5py (metadata + y), best of 3 ${peer} s"
