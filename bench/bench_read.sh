#!/usr/bin/env bash
# HDF5 read benchmark (issue 2): writes a ROWS x COLS float32 /X (standard normal, seed 7)
# plus int64 /y, gzip level 4, chunk shape left to h5py's auto-chunking, into bench/out/
# with h5py; then times reading X the way a user of h5py does (`h5py.File(p)['X'][:]`,
# file open included) and our h5io_read (bench_h5read: file open, X and also y, which h5py
# is spared), best and median of REPEATS, page cache warm, with the same threads available
# to both (h5py decompresses on one thread whatever it is given). Prints a markdown
# table; MB/s is MB (10^6 bytes) of float32 X delivered per second.
#
# Usage: bench/bench_read.sh [BUILD_DIR]     (default: build; needs target bench_h5read)
# Environment: ROWS=400000 COLS=64 REPEATS=5 THREADS=2
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
rows=${ROWS:-400000}
cols=${COLS:-64}
reps=${REPEATS:-5}
threads=${THREADS:-2}
py=/usr/bin/python3
out=$here/out
mkdir -p "$out"
h5=$out/read_${rows}x${cols}_gzip4.h5

bench=$build/bench/bench_h5read
if [ ! -x "$bench" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target bench_h5read >/dev/null
fi

# (a) the file, written by h5py with its default chunking for gzip data
"$py" - "$h5" "$rows" "$cols" <<'EOF'
import os, sys
import h5py, numpy as np
path, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if not os.path.exists(path):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((rows, cols), dtype=np.float32)
    y = rng.integers(0, 2, size=rows, dtype=np.int64)
    tmp = path + ".part"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("X", data=X, compression="gzip", compression_opts=4)
        f.create_dataset("y", data=y, compression="gzip", compression_opts=4)
    with open(tmp, "rb") as f:  # no writeback competing with the timings below
        os.fsync(f.fileno())
    os.replace(tmp, path)
with h5py.File(path, "r") as f:
    d = f["X"]
    print(f"file: {path}: X {d.shape} {d.dtype}, chunks {d.chunks} (h5py auto-chunking), "
          f"{d.compression} {d.compression_opts}, shuffle={d.shuffle}, "
          f"y {f['y'].shape} {f['y'].dtype}, {os.path.getsize(path) / 1e6:.1f} MB on disk\n")
EOF

export OMP_NUM_THREADS=$threads

# (b) the peer: h5py, best and median of REPEATS
peer=$("$py" - "$h5" "$reps" <<'EOF'
import sys, time
import h5py, numpy as np
path, reps = sys.argv[1], int(sys.argv[2])
h5py.File(path, "r")["X"][:1]  # import and first-open costs outside the timing
ts = []
for _ in range(reps):
    t = time.perf_counter()
    a = h5py.File(path, "r")["X"][:]
    ts.append(time.perf_counter() - t)
    mb = a.nbytes / 1e6
    del a
ts.sort()
print(f"{mb} {ts[0]} {ts[len(ts) // 2] if len(ts) % 2 else (ts[len(ts) // 2 - 1] + ts[len(ts) // 2]) / 2}")
EOF
)
read -r pmb pbest pmed <<<"$peer"

# (b) ours: bench_h5read prints key=value pairs
ours=$("$bench" "$h5" "$reps" "$threads")
ours1=$("$bench" "$h5" "$reps" 1)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# (c) the table
awk -v pmb="$pmb" -v pb="$pbest" -v pm="$pmed" -v t="$threads" \
    -v ob="$(field best_s "$ours")" -v om="$(field median_s "$ours")" \
    -v o1b="$(field best_s "$ours1")" -v o1m="$(field median_s "$ours1")" 'BEGIN {
  printf "| reader | threads | best s | median s | MB/s best | MB/s median |\n"
  printf "|---|---:|---:|---:|---:|---:|\n"
  printf "| h5py `File(p)[\"X\"][:]` | 1 (of %d available) | %.3f | %.3f | %.0f | %.0f |\n", t, pb, pm, pmb / pb, pmb / pm
  printf "| tradeoff h5io_read | %d | %.3f | %.3f | %.0f | %.0f |\n", t, ob, om, pmb / ob, pmb / om
  printf "| tradeoff h5io_read | 1 | %.3f | %.3f | %.0f | %.0f |\n", o1b, o1m, pmb / o1b, pmb / o1m
  printf "\nratio (best, ours with %d threads / h5py): %.2fx; median: %.2fx\n", t, pb / ob, pm / om
}'
