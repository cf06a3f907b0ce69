#!/usr/bin/env bash
# FSx's cache is the job's (issue 13, part 3): a data set whose files several ranks read
# (4 files over 8 ranks, or one file over all of them, as a single HDF5 file split into
# hyperslabs) is lazily loaded once for the job. io-bench on the VIRTUAL clock (the
# model's figures, independent of this machine's load) of bench/fsx/shared.ini for 1, 2,
# 4 and 8 ranks; job_requests is what the job is billed (rank 0's counters x the ranks).
# The truth: every byte loaded once (1,000 MB), each file in ceil(size / 8 MiB) GETs. OLD_BUILD (optional) runs
# the same with another build's binary (the per-rank cache before) for a "before" column.
#   bash bench/bench_fsx_shared.sh [BUILD_DIR] [OLD_BUILD_DIR] [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$(dirname "$here")/build}
old=${2:-}
out=${3:-/tmp/bench-fsx-shared}
mkdir -p "$out"
run() { # bin name files ranks
  "$1/tradeoff" io-bench "$here/fsx/shared.ini" --quiet --clock virtual --out "$out/$2" \
    --set workload.files="$3" --set workload.samples_per_file=$((4000 / $3)) --set workload.ranks="$4" \
    --set cost.pricing="$(dirname "$here")/configs/pricing.ini" >&2
}
for files in 4 1; do
  for ranks in 1 2 4 8; do
    run "$build" "new-f$files-r$ranks" "$files" "$ranks"
    if [ -n "$old" ]; then run "$old" "old-f$files-r$ranks" "$files" "$ranks"; fi
  done
done
python3 - "$out" "$old" <<'PY'
import json, sys
out, old = sys.argv[1], sys.argv[2]
print('| files | ranks | GETs billed, truth | ' + ('before: GETs (error), epoch 1 | ' if old else '') +
      'now: GETs (error) | lazy MB (job; truth 1049) | epoch 1, 2, 3 s (rank 0) |')
print('|---:|---:|---:|' + ('---:|' if old else '') + '---:|---:|---|')
for files in (4, 1):
    for ranks in (1, 2, 4, 8):
        n = json.load(open(f'{out}/new-f{files}-r{ranks}/io.json'))
        w = n['workload']
        size = w['samples_total'] // files * 262144  # record_bytes
        truth = files * -(-size // (8 << 20))
        e = lambda v: f'{v} ({100.0 * (v - truth) / truth:+.0f}%)'
        cols = [str(files), str(ranks), str(truth)]
        if old:
            o = json.load(open(f'{out}/old-f{files}-r{ranks}/io.json'))
            cols.append(e(o['job_requests']) + f", epoch 1 {o['epoch_s'][0]:.2f} s")
        cols.append(e(n['job_requests']))
        cols.append(f"{n['storage']['lazy_loaded_bytes'] * ranks / 1e6:.0f}")
        cols.append(', '.join(f'{s:.2f}' for s in n['epoch_s']))
        print('| ' + ' | '.join(cols) + ' |')
PY
