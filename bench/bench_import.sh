#!/usr/bin/env bash
# CSV import benchmark (issue 2): generates a ROWS x COLS float CSV (values such as
# -1.2345678, plus a 0/1 label column) into bench/out/, times csv_read() on it plain and
# gzip-compressed with bench_csv, and the peers in the same conditions: pandas.read_csv
# when /usr/bin/python3 has pandas, else numpy.loadtxt on the first PEER_ROWS rows (a
# rate, so it compares directly). Prints a markdown table; MB = 10^6 bytes of CSV text.
#
# Usage: bench/bench_import.sh [BUILD_DIR]      (default: build; needs target bench_csv)
# Environment: ROWS=400000 COLS=64 REPEATS=5 PEER_ROWS=50000 OMP_NUM_THREADS=<all cores>
# (csv_read also runs once with 1 thread, for comparison with single-threaded peers)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
rows=${ROWS:-400000}
cols=${COLS:-64}
reps=${REPEATS:-5}
peer_rows=${PEER_ROWS:-50000}
py=/usr/bin/python3
out=$here/out
mkdir -p "$out"
csv=$out/import_${rows}x${cols}.csv

bench=$build/bench/bench_csv
if [ ! -x "$bench" ]; then
  cmake --build "$build" --target bench_csv >/dev/null
fi

if [ ! -s "$csv" ]; then
  echo "generating $csv ..." >&2
  if "$py" -c "import numpy" 2>/dev/null; then
    "$py" - "$csv" "$rows" "$cols" <<'EOF'
import sys
import numpy as np
path, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(2)
header = ",".join(f"f{j}" for j in range(cols)) + ",label"
fmt = ",".join(["%.7f"] * cols) + ",%d"
with open(path + ".tmp", "w") as f:
    f.write(header + "\n")
    for start in range(0, rows, 20000):
        n = min(20000, rows - start)
        X = rng.standard_normal((n, cols))
        y = rng.integers(0, 2, n)
        f.write("\n".join(fmt % (tuple(r) + (int(l),)) for r, l in zip(X, y)) + "\n")
EOF
  else
    awk -v rows="$rows" -v cols="$cols" 'BEGIN {
      srand(2); h = "";
      for (j = 0; j < cols; j++) h = h "f" j ",";
      print h "label";
      for (i = 0; i < rows; i++) {
        line = "";
        for (j = 0; j < cols; j++) line = line sprintf("%.7f,", (rand() - 0.5) * 4);
        print line int(rand() * 2);
      }
    }' >"$csv.tmp"
  fi
  mv "$csv.tmp" "$csv"
fi
if [ ! -s "$csv.gz" ]; then
  gzip -1 -c "$csv" >"$csv.gz.tmp" && mv "$csv.gz.tmp" "$csv.gz"
fi
text_bytes=$(stat -c %s "$csv")

# field NAME LINE: the value of NAME=... in a bench_csv output line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

threads=${OMP_NUM_THREADS:-$(nproc)}
plain=$("$bench" "$csv" "$reps")
plain1=$(OMP_NUM_THREADS=1 "$bench" "$csv" "$reps")
gz=$("$bench" "$csv.gz" "$reps")

peer_name=""
peer_line=""
if "$py" -c "import pandas" 2>/dev/null; then
  peer_name="pandas.read_csv (C engine)"
  peer_line=$("$py" - "$csv" "$reps" <<'EOF'
import os, sys, time
import pandas as pd
path, reps = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype="float32")
    times.append(time.perf_counter() - t0)
times.sort()
print(os.path.getsize(path), df.shape[0], times[0], times[len(times) // 2])
EOF
)
elif "$py" -c "import numpy" 2>/dev/null; then
  peer_name="numpy.loadtxt (first $peer_rows rows)"
  small=$out/import_${peer_rows}x${cols}.csv
  head -n $((peer_rows + 1)) "$csv" >"$small"
  peer_line=$("$py" - "$small" 3 <<'EOF'
import os, sys, time
import numpy as np
path, reps = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    a = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    times.append(time.perf_counter() - t0)
times.sort()
print(os.path.getsize(path), a.shape[0], times[0], times[len(times) // 2])
EOF
)
fi

echo "| reader | input | rows | best s | median s | MB/s best | MB/s median |"
echo "|---|---|---:|---:|---:|---:|---:|"
for run in "$threads:$plain" "1:$plain1" "$threads:$gz"; do
  th=${run%%:*}
  line=${run#*:}
  f=$(field file "$line")
  best=$(field best_s "$line")
  med=$(field median_s "$line")
  kind="plain .csv"
  case "$f" in *.gz) kind=".csv.gz (gzip -1)" ;; esac
  awk -v k="$kind" -v r="$(field rows "$line")" -v b="$best" -v m="$med" -v t="$text_bytes" \
      -v th="$th" 'BEGIN { printf "| tradeoff csv_read (%d thread%s) | %s | %d | %.3f | %.3f | %.0f | %.0f |\n", th, th == 1 ? "" : "s", k, r, b, m, t / 1e6 / b, t / 1e6 / m }'
done
if [ -n "$peer_line" ]; then
  read -r pbytes prows pbest pmed <<<"$peer_line"
  awk -v n="$peer_name" -v r="$prows" -v b="$pbest" -v m="$pmed" -v t="$pbytes" \
      'BEGIN { printf "| %s | plain .csv | %d | %.3f | %.3f | %.0f | %.0f |\n", n, r, b, m, t / 1e6 / b, t / 1e6 / m }'
else
  echo "| (no peer: /usr/bin/python3 has neither pandas nor numpy) | | | | | | |"
fi
echo
echo "CSV text: $text_bytes bytes, $rows rows x $cols features + label; $(nproc) cores," \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
