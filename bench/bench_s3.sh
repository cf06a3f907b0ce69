#!/usr/bin/env bash
# Real S3 figures of issue 13, against the S3-protocol server the tests use (s3rver from
# .deps/, scripts/install-deps), started here on 127.0.0.1 and stopped at the end:
#
#  1. The reader: the same RANGES byte ranges (4 MiB each) of 8 objects of 32 MiB,
#     fetched by our reader with 8 kept-alive connections (bench/bench_s3get: the
#     s3client the s3real backend and the HDF5 driver use) and by 8 parallel `curl`
#     processes (curl's own --aws-sigv4, each fetching its eighth of the ranges over one
#     kept-alive connection with --next), alternated, best of ROUNDS. Target >= 0.9x.
#  2. Calibration: `tradeoff calibrate` against the 32 MiB objects, then a DIFFERENT
#     workload (64 HDF5 shards of 4 MiB, read_threads 4, transfer_kib 1024, shuffle
#     block, no compute) run for real against the server (s3real) and emulated on the
#     real clock (the s3 model with the calibrated [storage] section over a local copy of
#     the same shards): mean epoch time of EPOCHS epochs, the median of ROUNDS each (the
#     server's own swings are part of what a job sees; calibrate takes medians too); and the
#     same for a directory: calibrate, as efs, a COLD directory (8 files of 256 MiB,
#     2 GiB, more than calibrate's 1 GiB budget; the page cache dropped first), then the
#     workload's first epoch read cold by the `local` backend (caches dropped before each
#     round) vs the fitted efs model over the page-cached copy. Without root (no
#     /proc/sys/vm/drop_caches) the directory is page-cached and its epoch is about
#     20 ms, at the emulator's floor: the table says which. Target: within 10%. Each emulated job
#     is also run on the virtual clock (the model's own prediction, no sleeps), so the
#     table separates the model's error from the real-clock emulator's overhead, and
#     one line per target prints the error and whether it is within 10%.
#
# Usage: bench/bench_s3.sh [BUILD_DIR]    (default: build)
# Environment: OUT=bench/out/s3  ROUNDS=3  EPOCHS=3  CAL_SECONDS=20
#              COLD_DIR=bench/out/s3-cold (the directory's 2 GiB, kept between runs)
#              PARTS="1 2" (PARTS=2: the calibration check alone, for a re-run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)   # absolute: the script works in OUT
BIN=$build/tradeoff
GET=$build/bench/bench_s3get
OUT=${OUT:-$root/bench/out/s3}
ROUNDS=${ROUNDS:-3}
EPOCHS=${EPOCHS:-3}
CAL_SECONDS=${CAL_SECONDS:-20}
COLD_DIR=$(realpath -m "${COLD_DIR:-$root/bench/out/s3-cold}")
PARTS=${PARTS:-1 2}
part() { [[ " $PARTS " == *" $1 "* ]]; }
S3RVER=$root/.deps/s3rver/node_modules/.bin/s3rver
[[ -x $S3RVER ]] || { echo "bench_s3: s3rver missing: run scripts/install-deps" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT/srv"
cd "$OUT"

export TRADEOFF_S3_LOCAL_ONLY=1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$OUT/srv" -a 127.0.0.1 -p 0 -s \
  --configure-bucket bkt >srv.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  PORT=$(grep -o '127.0.0.1:[0-9]*' srv.log 2>/dev/null | head -1 | cut -d: -f2 || true)
  [[ -n ${PORT:-} ]] && break
  sleep 0.1
done
[[ -n ${PORT:-} ]] || { echo "bench_s3: s3rver did not start" >&2; cat srv.log >&2; exit 1; }
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
sig=(--aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
put() { curl -sf -X PUT "${sig[@]}" -T "$1" "$AWS_ENDPOINT_URL/bkt/$2" >/dev/null; }
best() { sort -g | head -1; }

echo "bench_s3: uploading 8 x 32 MiB objects to s3rver on 127.0.0.1:$PORT" >&2
mkdir -p blob
for i in 0 1 2 3 4 5 6 7; do
  head -c $((32 << 20)) /dev/urandom >blob/obj-$i.bin
  put blob/obj-$i.bin blob/obj-$i.bin
done
: >ranges.txt
for i in 0 1 2 3 4 5 6 7; do
  for k in 0 1 2 3 4 5 6 7; do echo "blob/obj-$i.bin $((k * (4 << 20))) $((4 << 20))" >>ranges.txt; done
done
n_ranges=$(wc -l <ranges.txt)
total=$((n_ranges * (4 << 20)))

# curl: 8 processes, process p takes ranges p, p+8, ... over one connection (--next),
# into /dev/null, or (DEST=shm) into files in /dev/shm: the bytes land in memory, as our
# reader's do
curl_round() {
  local dest=${1:-null} p pids=()
  local t0 t1
  t0=$(date +%s.%N)
  for p in 0 1 2 3 4 5 6 7; do
    local args=() first=1
    while read -r key off len; do
      ((first)) || args+=(--next)
      first=0
      local o=/dev/null
      [[ $dest == shm ]] && o=$shm/p$p-$off-$(basename "$key")
      args+=(-s -f "${sig[@]}" -r "$off-$((off + len - 1))" -o "$o" "$AWS_ENDPOINT_URL/bkt/$key")
    done < <(awk -v p=$p 'NR % 8 == p' ranges.txt)
    curl "${args[@]}" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
  [[ $dest == shm ]] && rm -f "$shm"/p*
  return 0
}
shm=$(mktemp -d /dev/shm/bench-s3-XXXXXX)
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null || true; rm -rf "$shm"' EXIT
ours_round() { "$GET" bkt ranges.txt 8 | awk '{print $2}'; }

ours_s=0 curl_s=0 curl_shm_s=0
if part 1; then
  echo "bench_s3: part 1, reader vs curl, $ROUNDS rounds of $n_ranges ranges of 4 MiB" >&2
  : >ours.txt
  : >curl.txt
  : >curl-shm.txt
  ours_round >/dev/null # warm the server's page cache
  for r in $(seq "$ROUNDS"); do
    ours_round >>ours.txt
    curl_round null >>curl.txt
    curl_round shm >>curl-shm.txt
  done
  ours_s=$(best <ours.txt)
  curl_s=$(best <curl.txt)
  curl_shm_s=$(best <curl-shm.txt)
fi

# part 2: calibration, then a different workload real vs emulated
if part 2; then
# the directory, written first so its writes have settled before it is read: cold when
# this shell may drop the page cache (root), else page-cached
drop_caches() { sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null
cold=0
# COLD_DIR is kept between runs (outside OUT): a VM's disk may serve blocks written a
# minute before from the host's cache, which no drop in the guest reaches
mkdir -p "$COLD_DIR"
for i in 0 1 2 3 4 5 6 7; do
  [[ $(stat -c %s "$COLD_DIR/obj-$i.bin" 2>/dev/null) == $((256 << 20)) ]] ||
    head -c $((256 << 20)) /dev/urandom >"$COLD_DIR/obj-$i.bin"
done
echo "bench_s3: part 2, calibrate s3://bkt/blob/ for ${CAL_SECONDS}s" >&2
"$BIN" calibrate s3://bkt/blob/ --seconds "$CAL_SECONDS" --out cal-s3.ini 2>calibrate-s3.log
"$BIN" gen --task classification --rows 65536 --features 1024 --shards 64 --compress 0 --out wl \
  >/dev/null 2>&1
for f in wl/*.h5; do put "$f" "wl/$(basename "$f")"; done
base="[workload]
computation_time = 0
batch_size = 256
epochs = $EPOCHS
[storage]
read_threads = 4
transfer_kib = 1024
shuffle = block"
printf '[data]\ntrain = s3://bkt/wl/\n%s\nbackend = s3\n' "$base" >real-s3.ini
{ printf '[data]\ntrain = wl\n%s\n' "$base"; cat cal-s3.ini; } >emul-s3.ini

epoch_mean() { # io.json -> mean epoch_s
  python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['epoch_s']; print(sum(e)/len(e))" "$1"
}
for job in real-s3 emul-s3 real-dir emul-dir; do : >"$job.txt"; done
for r in $(seq "$ROUNDS"); do
  for job in real-s3 emul-s3; do
    "$BIN" io-bench "$job.ini" --quiet --out "runs/$job-$r" >/dev/null
    epoch_mean "runs/$job-$r/io.json" >>"$job.txt"
  done
done
# after the s3 rounds: dropping the cache would also make the s3 server's files cold
drop_caches && cold=1
"$BIN" calibrate "$COLD_DIR" --seconds "$CAL_SECONDS" --bytes $((1 << 30)) --out cal-dir.ini 2>calibrate-dir.log
dir_base=${base/epochs = $EPOCHS/epochs = $((cold ? 1 : EPOCHS))}  # cold: the first epoch only
printf '[data]\ntrain = wl\n%s\nbackend = local\n' "$dir_base" >real-dir.ini
{ printf '[data]\ntrain = wl\n%s\n' "$dir_base"; cat cal-dir.ini; } >emul-dir.ini
for r in $(seq "$ROUNDS"); do
  ((cold)) && drop_caches
  "$BIN" io-bench real-dir.ini --quiet --out "runs/real-dir-$r" >/dev/null
  epoch_mean "runs/real-dir-$r/io.json" >>real-dir.txt
  cat wl/*.h5 >/dev/null # the emulation reads its local copy from the page cache
  "$BIN" io-bench emul-dir.ini --quiet --out "runs/emul-dir-$r" >/dev/null
  epoch_mean "runs/emul-dir-$r/io.json" >>emul-dir.txt
done
# the model's own prediction: the emulated jobs on the virtual clock (deterministic)
for job in emul-s3 emul-dir; do
  "$BIN" io-bench "$job.ini" --quiet --clock virtual --out "runs/$job-virtual" >/dev/null
  epoch_mean "runs/$job-virtual/io.json" >"$job-virtual.txt"
done
fi

python3 - "$ours_s" "$curl_s" "$total" "$ROUNDS" "$curl_shm_s" "$PARTS" "${cold:-0}" <<'EOF'
import sys, json
ours, curl, total, rounds = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
curl_shm = float(sys.argv[5])
parts = sys.argv[6].split()
cold = sys.argv[7] == "1"
mb = total / 1e6
if "1" in parts:
  print(f"### Reader vs curl (8 connections, {total >> 20} MiB in 4 MiB ranges, best of {rounds})\n")
  print("| reader | seconds | MB/s |\n|---|---|---|")
  print(f"| tradeoff's S3 reader (bench_s3get, 8 kept-alive connections) | {ours:.3f} | {mb / ours:.0f} |")
  print(f"| 8 parallel `curl --aws-sigv4` processes, `-o /dev/null` | {curl:.3f} | {mb / curl:.0f} |")
  print(f"| 8 parallel `curl --aws-sigv4` processes, `-o` files in /dev/shm | {curl_shm:.3f} | {mb / curl_shm:.0f} |")
  print(f"\nratio (ours / curl throughput): **{curl / ours:.2f}x** against /dev/null, **{curl_shm / ours:.2f}x** against /dev/shm\n")
def best(name):
    return min(float(x) for x in open(name + '.txt'))
def median(name):
    v = sorted(float(x) for x in open(name + '.txt'))
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2
if "2" in parts:
  print(f"### Calibrated emulation vs the real thing (mean epoch of a different workload, median of {rounds} rounds)\n")
  print("| target | real epoch s | emulated epoch s (calibrated model, real clock) | error | the model alone (virtual clock) s | its error |")
  print("|---|---|---|---|---|---|")
  lines = []
  for tgt, real, emul in (("s3rver on 127.0.0.1 (s3 model)", "real-s3", "emul-s3"),
                          ("a local directory, " + ("cold: its first epoch from the disk" if cold else "page-cached") + " (efs model)", "real-dir", "emul-dir")):
    r, e, v = median(real), median(emul), median(emul + "-virtual")
    err, verr = 100 * (e - r) / r, 100 * (v - r) / r
    print(f"| {tgt} | {r:.3f} | {e:.3f} | {err:+.1f}% | {v:.3f} | {verr:+.1f}% |")
    lines.append(f"calibration check, {tgt}: real {r:.3f} s, emulated {e:.3f} s: error {err:+.1f}% "
                 f"({'within' if abs(err) <= 10 else 'NOT within'} 10%); the model alone {verr:+.1f}%")
  print()
  for l in lines:
    print(l)
    print(l, file=sys.stderr)
EOF
echo
echo "calibrated sections: $OUT/cal-s3.ini, $OUT/cal-dir.ini" >&2
exit 0
