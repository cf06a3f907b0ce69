# Storage emulation end to end: io-bench on every backend with both clocks (io.json as
# DESIGN.md names it), training that streams its batches through each backend (same
# weights as the in-memory run, io_wait_s and the storage cost in result.json), FSx lazy
# loading then cache hits, fault injection through the wrappers, SIGTERM during storage
# waits (S3 retries, the FSx preload), and bad input.
source "$(dirname "$0")/lib.sh"

expect_ok "$BIN" gen --task classification --rows 2000 --features 24 --seed 4 --compress 0 --out d.h5
expect_ok "$BIN" gen --task classification --rows 512 --features 256 --seed 5 --shards 64 --compress 0 --out shards

cat > io.ini <<EOF
[data]
train = shards
[storage]
backend = s3
read_threads = 8
prefetch = 2
shuffle = block
s3.first_byte_ms = 5
[workload]
computation_time = 0.002
batch_size = 16
epochs = 2
[cost]
pricing = $SRC/configs/pricing.ini
EOF
for be in local null s3 efs fsx; do
  for clock in real virtual; do
    expect_ok "$BIN" io-bench io.ini --quiet --clock $clock --set storage.backend=$be --out io-$be-$clock
  done
done
check "io.json: DLIO names, counts and cost" $PY -c "
import json
for be in ['local', 'null', 's3', 'efs', 'fsx']:
    for clock in ['real', 'virtual']:
        r = json.load(open(f'io-{be}-{clock}/io.json'))
        assert r['clock'] == clock and r['backend'] == be, r
        assert len(r['epoch_s']) == 2 and len(r['train_au_percentage']) == 2, r
        assert 0 < r['train_au_mean_percentage'] <= 100.0001, r
        assert r['train_au_meet_expectation'] in ('success', 'fail')
        assert r['train_throughput_samples_per_second'] > 0 and r['train_io_mean_MB_per_second'] >= 0
        assert r['bytes_read'] == 2 * 512 * 256 * 4, (be, clock, r['bytes_read'])
        assert r['workload']['files'] == 64
        for k in ['compute_usd', 'storage_usd', 'requests_usd', 'total_usd']: assert r['cost'][k] >= 0
    s3 = json.load(open(f'io-s3-{clock}/io.json'))
    assert s3['requests'] == 2 * 64, s3['requests']         # one GET per small file per epoch
    assert s3['cost']['requests_usd'] > 0
    fsx = json.load(open(f'io-fsx-{clock}/io.json'))
    assert fsx['requests'] == 64 and fsx['cache_hits'] == 64, fsx  # lazy loads once, then hits
    assert fsx['storage']['lazy_loaded_bytes'] > 0
"
# progress on a stderr that is not a TTY (a log): a line at each epoch's end at least
"$BIN" io-bench io.ini --clock real --out io-progress 2> progress.err || fail "io-bench with progress failed"
check "io-bench progress lines: epoch, batch, requests, MB/s, eta" \
  grep -Eq '^io-bench: epoch 2/2 batch 32/32 requests 128 [0-9.]+ MB/s elapsed [0-9.]+s eta 0.0s$' progress.err
# (how closely the virtual clock tracks the real one is measured in bench/, not asserted
# here: the real clock's times depend on the machine's load)

# a synthetic data set only exists on the virtual clock
cat > synth.ini <<EOF
[storage]
backend = s3
[workload]
files = 100000
samples_per_file = 1
record_bytes = 150000
batch_size = 256
computation_time = 0.1
[cost]
pricing = $SRC/configs/pricing.ini
EOF
expect_ok "$BIN" io-bench synth.ini --quiet --clock virtual --out synth
check "synthetic projection: 100,000 files in an epoch" $PY -c "
import json; r = json.load(open('synth/io.json'))
assert r['workload']['files'] == 100000 and r['requests'] == 100000, r
assert r['train_au_meet_expectation'] == 'fail', r   # S3 starves a 0.1 s step
"
expect_error 2 'synth.ini:[0-9]+: workload.files: .*--clock virtual' "$BIN" io-bench synth.ini --quiet

# training streams through each backend: the weights equal the in-memory run's
cat > train.ini <<EOF
[data]
train = d.h5
[model]
type = mlp
hidden = 16
[optimizer]
epochs = 3
batch_size = 64
[early_stopping]
enabled = false
[cost]
pricing = $SRC/configs/pricing.ini
EOF
expect_ok "$BIN" train train.ini --quiet --out mem
for be in local s3 efs fsx; do
  # shuffle = sample: the in-memory order (auto would read s3 in blocks, another order)
  expect_ok "$BIN" train train.ini --quiet --out tr-$be --set storage.backend=$be --set storage.s3.first_byte_ms=1 \
    --set storage.shuffle=sample
done
check "streamed training gives the in-memory weights, and reports I/O and cost" $PY -c "
import json, h5py, numpy as np
def weights(d):
    f = h5py.File(d + '/model.h5', 'r')
    return [f['layers'][k][n][:] for k in sorted(f['layers']) for n in ('W', 'b')]
ref = weights('mem')
for be in ['local', 's3', 'efs', 'fsx']:
    w = weights('tr-' + be)
    assert all(np.array_equal(a, b) for a, b in zip(ref, w)), be
    r = json.load(open('tr-' + be + '/result.json'))
    assert r['storage']['backend'] == be and r['storage']['bytes_read'] > 0, r['storage']
    assert r['time']['io_wait_s'] >= 0 and 0 < r['au_percent'] <= 100, r
    c = r['cost']
    assert abs(c['total_usd'] - (c['compute_usd'] + c['storage_usd'] + c['requests_usd'])) < 1e-12, c
s3 = json.load(open('tr-s3/result.json'))
assert s3['storage']['requests'] > 0 and s3['cost']['requests_usd'] > 0
"
check "history.csv carries io_wait_s per epoch" $PY -c "
import csv; rows = list(csv.DictReader(open('tr-s3/history.csv')))
assert len(rows) == 3 and all(float(r['io_wait_s']) >= 0 for r in rows)
"

# the emulated compute measured from a real training run
expect_ok "$BIN" io-bench io.ini --quiet --clock virtual --set workload.compute_from=mem --out io-measured
check "computation_time from the run's compute per sample x batch_size" $PY -c "
import json
r, m = json.load(open('io-measured/io.json')), json.load(open('mem/result.json'))
want = m['time']['compute_s'] / (m['epochs_run'] * m['data']['train_rows']) * 16
assert abs(r['workload']['computation_time'] - want) < 1e-12 * max(1, want), (r['workload'], want)
"
expect_error 2 'workload.compute_from: nowhere/result.json has no measured compute' \
  "$BIN" io-bench io.ini --quiet --clock virtual --set workload.compute_from=nowhere

# storage faults: an error on local ends the run naming the file; S3 retries it
expect_error 1 'd\.h5: read of .* failed \(injected fault\)' \
  "$BIN" train train.ini --quiet --out fault --set storage.backend=local --set storage.fault.error_at=7
expect_ok "$BIN" train train.ini --quiet --out fault-s3 --set storage.backend=s3 \
  --set storage.s3.first_byte_ms=0 --set storage.s3.backoff_ms=1 --set storage.fault.error_at=7
check "S3 retried the failed GET" $PY -c "
import json; r = json.load(open('fault-s3/result.json')); assert r['storage']['retries'] == 1, r['storage']"
check "a failed run leaves no result.json" test ! -e fault/result.json

# a stop request wakes every storage wait: a run stuck in S3 retries (every GET fails,
# backoffs of 5, 10, 20 s) stops within the spot notice's 2 s of SIGTERM, checkpointed
"$BIN" train train.ini --quiet --out stuck --set storage.backend=s3 --set storage.fault.error_rate=1 \
  --set storage.s3.max_attempts=100 --set storage.s3.backoff_ms=5000 2> stuck.err &
pid=$!
await_term_handler $pid
sleep 1.5
term_latency $pid stuck/result.json
check "SIGTERM during S3 retries: outputs within 2 s, exit 0 (exit $term_rc, $term_s s)" \
  $PY -c "assert $term_rc == 0 and $term_s < 2"
check "the stopped run says interrupted" $PY -c "
import json; r = json.load(open('stuck/result.json'))
assert r['stop_reason'] == 'interrupted' and r['epochs_run'] == 0, r['stop_reason']
"
check "and checkpointed" test -f stuck/checkpoint/checkpoint.h5
# SIGTERM before the first epoch, while FSx preloads the data from its bucket (a GET's
# first byte takes 60 s here): a stop, not a failure: exit 0 at once with a clear
# message, and nothing written (no state yet to checkpoint; the next run starts over)
"$BIN" train train.ini --out preloading --set storage.backend=fsx --set storage.fsx.preload=true \
  --set storage.s3.first_byte_ms=60000 2> preload.err &
pid=$!
await_term_handler $pid
sleep 1.5
term_latency $pid preload.err 'interrupted by signal 15'
check "SIGTERM during the FSx preload: its message within 2 s, exit 0 (exit $term_rc, $term_s s)" \
  $PY -c "assert $term_rc == 0 and $term_s < 2"
check "it says it was interrupted before the first epoch" \
  grep -q "^tradeoff: train: interrupted by signal 15 before the first epoch (while the storage preloaded the data); no outputs written" preload.err
check "no error, no half outputs" bash -c "! grep -q 'stopped on request' preload.err && test ! -e preloading"

# bad input: exit 2 naming the key or file
expect_error 2 'storage.backend: expected one of local\|null\|s3\|efs\|fsx' "$BIN" train train.ini --set storage.backend=tape
expect_error 2 'storage.s3.mb_per_s_per_connection: must be in' "$BIN" train train.ini --set storage.s3.mb_per_s_per_connection=-1
expect_error 2 'storage.s3.connections: must be in' "$BIN" io-bench io.ini --set storage.s3.connections=0
expect_error 2 'storage.s3.speed: unknown key' "$BIN" io-bench io.ini --set storage.s3.speed=3
printf '[storage]\nbackend = s3\nefs.throughput = 9\n' > bad.ini
expect_error 2 'bad.ini:3: .*efs.throughput' "$BIN" io-bench bad.ini
expect_error 2 'data.train: .*missing' "$BIN" io-bench io.ini --set data.train=missing
mkdir empty
expect_error 2 'empty: no HDF5 files' "$BIN" io-bench io.ini --set data.train=empty
"$BIN" gen --task classification --rows 100 --features 3 --out small.h5 2>/dev/null
printf 'a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n1,1,0\n2,2,1\n3,3,0\n4,4,1\n5,5,0\n6,6,1\n' > t.csv
expect_error 2 'data.train: the storage loader reads HDF5 data' "$BIN" train train.ini --set data.train=t.csv --set storage.backend=s3
expect_error 2 'optimizer.name: lbfgs is full-batch' "$BIN" train train.ini --set optimizer.name=lbfgs --set storage.backend=s3
expect_error 2 'io-bench: --clock must be real or virtual' "$BIN" io-bench io.ini --clock sundial
check "no run directory for rejected jobs" test ! -e runs

finish
