#!/usr/bin/env bash
# Storage-emulation figures of issue 5 (io/storage.c, io/backends/, io/loader.c,
# `tradeoff io-bench`). Progress on stderr; the markdown tables on stdout, also saved to
# OUT/tables.md (made by bench/storage_tables.py from every run's io.json). About 4.5
# minutes on 2 cores once the data exist (making them adds about 25 s; 1.3 GB on disk).
#
#  1. Fidelity: real-clock throughput of each emulated backend on a bandwidth-bound job
#     against the model's analytic figure, worked out by bench/storage_tables.py from the
#     parameters the run used (configs/storage.ini's defaults + the job + --set):
#     s3 (connections bound, then the instance NIC bound), efs elastic / provisioned /
#     bursting with 0 credits, fsx after its first (lazy-loading) epoch. Data: 64 shards
#     of 1024 x 1024 float32 (4 MiB of X each, 1 MiB chunks, no compression), batches of
#     1024 rows, shuffle none, no compute, 16 read threads, prefetch 4. The same runs on
#     the virtual clock are shown beside them.
#  2. Virtual vs real: configs/storage-cv.ini (4,096 files of one 12 KiB image, as its
#     header says) on local, efs, fsx and s3, per-epoch times on both clocks.
#  3. FSx lazy loading: the per-epoch times of s3 and fsx of (2) side by side.
#  4. Overhead of the loader on `local`: io-bench with read_threads=1, prefetch=0,
#     shuffle=none, no compute, against bench/read_direct (the same extents read by a
#     plain single-threaded pread loop, page cache warm), ROUNDS rounds interleaved, in
#     two page-cache states: filled by reading the files, and filled by writing them.
#     Diagnostic rows: read_direct in `copy` mode (pread into a staging buffer, then
#     memcpy into the batch, as the loader's decode does), the loader with an
#     LD_PRELOAD shim that skips clock_nanosleep when its deadline has already passed,
#     and that again with prefetch=2 (the consumer/worker hand-off overlapped).
#  5. AU on `local`, compute-bound (computation_time 0.02 s per 4 MiB batch): prefetch 0,
#     1, 2, 4 with read_threads 4 (the default) and 2 (the cores), plus the `null`
#     backend at prefetch 2 (a loader with no reads at all).
#  The classic case: (2)'s real-clock runs as a table (epoch times, AU, io.json's cost,
#  S3/FSx time and cost ratios); the ImageNet projection: configs/storage-imagenet.ini
#  on the virtual clock for s3, efs, fsx.
#
# Usage: bench/bench_storage.sh [BUILD_DIR]     (default: build; needs tradeoff and
#        read_direct: cmake --build build --target tradeoff read_direct)
# Environment: OUT=bench/out/storage  ROUNDS=3 (overhead rounds)  OVH_EPOCHS=41
#              IMAGENET_SHUFFLE=block (as configs/storage-imagenet.ini says; none gives
#              the same figures with equal-size files)
#              IDLE_WAIT=600 (s to wait, before each part, for running ctest/tradeoff
#              processes of others to end)
# Python: /usr/bin/python3 (standard library only). cc builds the diagnostic shim.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/tradeoff
rd=$build/bench/read_direct
out=${OUT:-$here/out/storage}
rounds=${ROUNDS:-3}
ovh_epochs=${OVH_EPOCHS:-41}
in_shuffle=${IMAGENET_SHUFFLE:-block}
idle_wait=${IDLE_WAIT:-600}
d64=$here/out/storage-shards64
cv=$here/out/storage-cv4096
py=/usr/bin/python3
log() { echo "bench_storage: $*" >&2; }

[ -x "$bin" ] || { log "$bin missing: cmake --build $build --target tradeoff"; exit 1; }
if [ ! -x "$rd" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" --target read_direct >/dev/null
fi

# Real-clock figures mean little while a test suite or a training shares the 2 cores:
# before each part, wait up to IDLE_WAIT s for other ctest/tradeoff processes to end.
busy() { pgrep -f ctest >/dev/null || pgrep -x tradeoff >/dev/null; }
wait_idle() {
  local waited=0
  # idle = none seen twice 5 s apart (a script running trials one by one has short gaps)
  while [ "$idle_wait" -gt 0 ] && { busy || { sleep 5 && busy; }; }; do
    [ "$waited" -ge "$idle_wait" ] && { log "machine still busy after ${waited}s; timing anyway"; echo "busy: $1" >>"$out/meta.txt"; break; }
    [ "$waited" = 0 ] && log "$1: waiting for running ctest/tradeoff processes to end..."
    sleep 15
    waited=$((waited + 15))
  done
}
# Notes in meta.txt when other ctest/tradeoff processes ran at the end of a part.
note_busy() { if busy; then echo "others running at the end of: $1" >>"$out/meta.txt"; fi; }

mkdir -p "$here/out"
if [ ! -f "$d64/part-00063.h5" ]; then
  log "gen $d64 (64 shards x 1024 rows x 1024 float32, no compression)"
  rm -rf "$d64" "$d64.part"
  "$bin" gen --task classification --rows 65536 --features 1024 --classes 2 --seed 5 \
    --shards 64 --compress 0 --out "$d64.part" >/dev/null 2>&1
  mv "$d64.part" "$d64"
fi
if [ ! -f "$cv/part-04095.h5" ]; then
  log "gen $cv (configs/storage-cv.ini's data: 4096 files of 1 x 3072 float32)"
  rm -rf "$cv" "$cv.part"
  "$bin" gen --task classification --rows 4096 --features 3072 --classes 10 \
    --shards 4096 --compress 0 --out "$cv.part" >/dev/null 2>&1
  mv "$cv.part" "$cv"
fi

rm -rf "$out/runs" "$out/commands.txt" "$out/tables.md" "$out/direct" "$out/shards64-written"
mkdir -p "$out/runs" "$out/direct"
cd "$root"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
  echo "mem_gb: $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
  echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/meta.txt"

# The bandwidth-bound job of (1) and (4): whole chunks in storage order, no compute.
cat >"$out/fid.ini" <<EOF
; written by bench/bench_storage.sh
[data]
train = $d64

[storage]
backend = local
read_threads = 16
prefetch = 4
shuffle = none
transfer_kib = 4096

[workload]
computation_time = 0
batch_size = 1024
epochs = 1

[cost]
instance = c5.4xlarge
EOF

# $1 run name, $2 job file, rest: io-bench options. Saves the command beside io.json.
# The array pre (empty unless set) goes before the binary (env LD_PRELOAD=...).
pre=()
iob() {
  local name=$1 job=$2
  shift 2
  local cmd=("${pre[@]}" "$bin" io-bench "$job" --quiet --out "$out/runs/$name" "$@")
  log "$name: ${cmd[*]#$root/}"
  echo "$name: ${cmd[*]}" >>"$out/commands.txt"
  mkdir -p "$out/runs/$name"
  printf '%s\n' "$job" "$@" >"$out/runs/$name.args"
  "${cmd[@]}" 2>"$out/runs/$name.log" || { log "$name failed:"; cat "$out/runs/$name.log" >&2; exit 1; }
}

# The page cache must be warm for every real-clock figure; this machine's kernel pages
# out memory left untouched for a while (DAMON), so warm each data set right before use.
warm() { find "$1" -name '*.h5' -exec cat {} + >/dev/null; }

# 1. fidelity (each case also on the virtual clock)
wait_idle fidelity
warm "$d64"
fid_case() {
  local name=$1
  shift
  iob "fid-$name-real" "$out/fid.ini" --clock real "$@"
  iob "fid-$name-virtual" "$out/fid.ini" --clock virtual "$@"
}
fid_case s3 --set storage.backend=s3 --set storage.s3.connections=8 \
  --set storage.s3.mb_per_s_per_connection=20
fid_case s3-nic --set storage.backend=s3 --set storage.s3.instance_gbps=0.5
fid_case efs-elastic --set storage.backend=efs --set storage.efs.mode=elastic \
  --set storage.efs.elastic_mib_s=100
fid_case efs-provisioned --set storage.backend=efs --set storage.efs.mode=provisioned \
  --set storage.efs.provisioned_mib_s=64
fid_case efs-bursting0 --set storage.backend=efs --set storage.efs.mode=bursting \
  --set storage.efs.burst_credits_gib=0 --set storage.efs.stored_gib=1024
fid_case fsx --set storage.backend=fsx --set storage.fsx.deployment=PERSISTENT_125 \
  --set storage.fsx.capacity_tib=1.2 --set workload.epochs=3

note_busy fidelity

# 2, 3 and the classic case: configs/storage-cv.ini as it is, on its 4,096 files
wait_idle storage-cv
for b in local efs fsx s3; do
  warm "$cv"
  iob "cv-$b-real" configs/storage-cv.ini --clock real --set data.train="$cv" --set storage.backend=$b
  iob "cv-$b-virtual" configs/storage-cv.ini --clock virtual --set data.train="$cv" --set storage.backend=$b
done

note_busy storage-cv

# 4. loader overhead on local, interleaved rounds
shim_dir=$out/shim
mkdir -p "$shim_dir"
shim=""
if command -v cc >/dev/null; then
  cat >"$shim_dir/skip_past_sleep.c" <<'EOF'
/* Diagnostic only: clock_nanosleep(TIMER_ABSTIME) returns at once when the deadline has
 * passed, without entering the kernel (which costs ~15 us in this VM even then). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
int clock_nanosleep(clockid_t c, int flags, const struct timespec *t, struct timespec *rem) {
  static int (*real)(clockid_t, int, const struct timespec *, struct timespec *);
  if (!real) real = (int (*)(clockid_t, int, const struct timespec *, struct timespec *))dlsym(RTLD_NEXT, "clock_nanosleep");
  if (flags & TIMER_ABSTIME) {
    struct timespec now;
    clock_gettime(c, &now);
    if (now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec)) return 0;
  }
  return real(c, flags, t, rem);
}
EOF
  cc -O2 -shared -fPIC "$shim_dir/skip_past_sleep.c" -o "$shim_dir/skip_past_sleep.so" -ldl && shim=$shim_dir/skip_past_sleep.so
fi
ovh=(--set storage.backend=local --set storage.read_threads=1 --set workload.epochs="$ovh_epochs")
# Two page-cache states of the same bytes, which read at very different speeds here:
# "read": the shards' pages dropped (posix_fadvise DONTNEED on these files only), then
# read back with cat, as after reading a data set from disk once; "written": a fresh copy
# of the shards (its page cache filled by the writes, then synced).
fresh=$out/shards64-written
rm -rf "$fresh"
cp -r "$d64" "$fresh"
sync "$fresh"/*.h5
"$py" -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)' "$d64"/*.h5
warm "$d64"
wait_idle overhead
for state in read written; do
  data=$d64
  [ "$state" = written ] && data=$fresh
  for r in $(seq 1 "$rounds"); do
    for m in direct copy; do
      log "read_direct $m ($state) round $r"
      echo "direct-$state-$m-r$r: $rd $data $((ovh_epochs - 1)) 1024 4096 $m" >>"$out/commands.txt"
      "$rd" "$data" $((ovh_epochs - 1)) 1024 4096 $m >"$out/direct/$state-$m-r$r.txt"
    done
    iob "ovh-$state-loader-r$r" "$out/fid.ini" --set data.train="$data" "${ovh[@]}" --set storage.prefetch=0
    if [ -n "$shim" ]; then
      pre=(env LD_PRELOAD="$shim")
      iob "ovh-$state-shim-r$r" "$out/fid.ini" --set data.train="$data" "${ovh[@]}" --set storage.prefetch=0
      iob "ovh-$state-shimpf2-r$r" "$out/fid.ini" --set data.train="$data" "${ovh[@]}" --set storage.prefetch=2
      pre=()
    fi
  done
done

note_busy overhead

# 5. AU, compute-bound on local
wait_idle au
warm "$d64"
for rt in 4 2; do
  for pf in 0 1 2 4; do
    iob "au-local-rt$rt-pf$pf" "$out/fid.ini" --set storage.backend=local --set storage.read_threads=$rt \
      --set storage.prefetch=$pf --set workload.computation_time=0.02 --set workload.epochs=3
  done
done
iob "au-null-pf2" "$out/fid.ini" --set storage.backend=null --set storage.read_threads=4 \
  --set storage.prefetch=2 --set workload.computation_time=0.02 --set workload.epochs=3

note_busy au

# the ImageNet projection, virtual clock
for b in s3 efs fsx; do
  iob "in-$b" configs/storage-imagenet.ini --clock virtual --set storage.backend=$b \
    --set storage.shuffle="$in_shuffle"
done

echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.txt"
"$py" "$here/storage_tables.py" "$out" "$root" | tee "$out/tables.md"
