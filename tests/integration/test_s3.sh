#!/usr/bin/env bash
# The real S3 data path against a real S3-protocol HTTP server the test starts on
# 127.0.0.1 and stops: s3rver (npm, installed into .deps/ by scripts/install-deps),
# fronted where a case needs it by tests/integration/s3_proxy.js (delays, 503 SlowDown,
# stalls). Uploads shards with curl's own SigV4, trains from s3:// and compares the
# weights with the local copy's; listing past one page; a missing bucket, a missing key,
# bad credentials, an endpoint beyond 127.0.0.1; a server that dies mid-epoch (exit 1
# naming the object, checkpoint kept, --resume after a restart); a slow and a throttling
# server; io-bench and its counters; calibrate. Nothing leaves 127.0.0.1:
# TRADEOFF_S3_LOCAL_ONLY=1 makes the client refuse any other endpoint.
source "$(dirname "$0")/lib.sh"

S3RVER=$SRC/.deps/s3rver/node_modules/.bin/s3rver
PROXY_JS=$SRC/tests/integration/s3_proxy.js
if [[ ! -x $S3RVER ]] || ! command -v node >/dev/null; then
  fail "s3rver is not installed (scripts/install-deps installs it into .deps/s3rver)"
  echo "$passed passed, $failed failed"
  exit 1
fi

export TRADEOFF_S3_LOCAL_ONLY=1
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
export HOME=$WORK  # no ~/.aws of the user's
SRV_PID=
PROXY_PID=
stop_server() {
  [[ -n $SRV_PID ]] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
  SRV_PID=
}
stop_proxy() {
  [[ -n $PROXY_PID ]] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  PROXY_PID=
}
trap 'stop_proxy; stop_server; rm -rf "$WORK"' EXIT

# start_server [PORT]: s3rver on 127.0.0.1 (an ephemeral port unless given) over
# $WORK/srv, its log in $WORK/srv.log; sets PORT.
start_server() {
  mkdir -p "$WORK/srv"
  # s3rver's continuation tokens are DES (its stand-in for S3's opaque ones), which
  # OpenSSL 3 keeps in its legacy provider
  NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$WORK/srv" -a 127.0.0.1 -p "${1:-0}" --configure-bucket bkt >"$WORK/srv.log" 2>&1 &
  SRV_PID=$!
  for _ in $(seq 100); do
    PORT=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$WORK/srv.log" 2>/dev/null | head -1 | cut -d: -f2)
    [[ -n $PORT ]] && return 0
    sleep 0.1
  done
  fail "s3rver did not start: $(cat "$WORK/srv.log")"
  return 1
}

# start_proxy DELAY_MS FAIL_EVERY [STALL_FROM STALL_MS]: sets PROXY_PORT.
start_proxy() {
  node "$PROXY_JS" "$PORT" "$@" >"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 100); do
    PROXY_PORT=$(grep -o 'listening [0-9]*' "$WORK/proxy.log" 2>/dev/null | cut -d' ' -f2)
    [[ -n $PROXY_PORT ]] && return 0
    sleep 0.1
  done
  fail "the proxy did not start: $(cat "$WORK/proxy.log")"
}

put() { # put FILE KEY
  curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$1" "http://127.0.0.1:$PORT/bkt/$2" >/dev/null
}

same_weights() { # same_weights A.h5 B.h5: every weight and the scaler, bit for bit
  local g
  for g in /layers /scaler /classes; do h5diff "$1" "$2" "$g" >/dev/null || return 1; done
}

start_server || exit 1
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT

"$BIN" gen --task classification --rows 800 --features 24 --shards 8 --compress 0 --seed 3 \
  --out data >/dev/null 2>&1
"$BIN" gen --task classification --rows 400 --features 24 --compress 4 --seed 4 --out one.h5 >/dev/null 2>&1
for f in data/*.h5; do put "$f" "ds/$(basename "$f")" || fail "upload of $f"; done
put one.h5 single/one.h5 || fail "upload of one.h5"
put one.h5 ds-notes.txt || fail "upload of a non-HDF5 key"

cat >job.ini <<'EOF'
[data]
train = data
val_fraction = 0.1
test_fraction = 0.2
seed = 1
[model]
type = mlp
hidden = 8
[optimizer]
name = adam
lr = 0.01
batch_size = 64
epochs = 2
[storage]
backend = s3
read_threads = 4
shuffle = block
[checkpoint]
every_epochs = 1
EOF

# info: the same description from S3 as from the files
"$BIN" info data >info-local.json 2>/dev/null
"$BIN" info s3://bkt/ds/ >info-s3.json 2>/dev/null
check "info s3://bkt/ds/ describes the 8 shards as info data does" $PY - <<'EOF'
import json
a, b = json.load(open('info-local.json')), json.load(open('info-s3.json'))
for k in ('rows', 'features', 'files', 'labels', 'chunks', 'dtype'):
    assert a[k] == b[k], (k, a[k], b[k])
assert b['files'] == 8 and b['path'] == 's3://bkt/ds/'
EOF

# train: streamed from the bucket vs streamed from the files, and in memory from one object
expect_ok "$BIN" train job.ini --set storage.backend=local --out runs/local
expect_ok "$BIN" train job.ini --set data.train=s3://bkt/ds/ --out runs/s3
check "streamed from s3:// gives the local copy's weights bit for bit" same_weights runs/local/model.h5 runs/s3/model.h5
check "result.json: the s3real backend, its GETs counted and billed" $PY - <<'EOF'
import json
r = json.load(open('runs/s3/result.json'))
st = r['storage']
assert st['backend'] == 's3real', st
assert st['requests'] >= st['read_ops'] > 0, st
assert r['cost']['storage_usd'] > 0 or r['cost'].get('requests_usd', 0) > 0, r['cost']
EOF
sed -e '/^\[storage\]/,/^shuffle/d' job.ini >mem.ini
expect_ok "$BIN" train mem.ini --set data.train=one.h5 --out runs/mem-local
expect_ok "$BIN" train mem.ini --set data.train=s3://bkt/single/one.h5 --out runs/mem-s3
check "in memory from one s3:// object (gzip chunks) gives the local file's weights" same_weights runs/mem-local/model.h5 runs/mem-s3/model.h5

# listing past one page: 8 shards in pages of 3 keys (three ListObjectsV2 requests)
before=$(grep -c 'list-type=2' "$WORK/srv.log")
expect_ok "$BIN" train job.ini --set data.train=s3://bkt/ds --set storage.s3.list_page_size=3 --out runs/paged
after=$(grep -c 'list-type=2' "$WORK/srv.log")
check "a listing of 8 keys in pages of 3 took 3 requests per listing ($before -> $after)" \
  test $(( (after - before) % 3 )) -eq 0 -a $((after - before)) -ge 3
check "paged listing: the same weights" same_weights runs/local/model.h5 runs/paged/model.h5

# io-bench on the real clock (s3real) and on the virtual clock (the s3 model)
cat >bench.ini <<'EOF'
[data]
train = s3://bkt/ds/
[storage]
backend = s3
read_threads = 4
shuffle = block
[workload]
computation_time = 0
batch_size = 64
epochs = 1
EOF
expect_ok "$BIN" io-bench bench.ini --out runs/io-real
expect_ok "$BIN" io-bench bench.ini --clock virtual --out runs/io-virtual
check "io.json: s3real on the real clock reads every byte; s3 on the virtual clock" $PY - <<'EOF'
import json
a, b = json.load(open('runs/io-real/io.json')), json.load(open('runs/io-virtual/io.json'))
assert a['backend'] == 's3real' and a['clock'] == 'real', a['backend']
assert b['backend'] == 's3' and b['clock'] == 'virtual', b['backend']
assert a['bytes_read'] == b['bytes_read'] > 0, (a['bytes_read'], b['bytes_read'])
assert a['requests'] == a['storage']['read_ops'], a['storage']
EOF

# errors, each naming what failed
expect_error 2 "s3://nobkt.*no such bucket" "$BIN" info s3://nobkt/ds/
expect_error 2 "s3://bkt/ds/missing.h5.*no such object" "$BIN" info s3://bkt/ds/missing.h5
expect_error 2 "s3://bkt/empty/.*no HDF5 objects" "$BIN" info s3://bkt/empty/
expect_error 2 "s3://bkt/ds/.*access refused \(InvalidAccessKeyId" \
  env AWS_ACCESS_KEY_ID=WRONG "$BIN" train job.ini --set data.train=s3://bkt/ds/ --out runs/bad
expect_error 2 "not a valid bucket name" "$BIN" info s3://Bad_Bucket/x
expect_error 2 "storage.s3.endpoint_url.*not on 127.0.0.1" \
  env -u AWS_ENDPOINT_URL "$BIN" info s3://bkt/ds/
expect_error 2 "storage.s3.endpoint_url.*'http://192.0.2.1:9' is not on 127.0.0.1" \
  env AWS_ENDPOINT_URL=http://192.0.2.1:9 "$BIN" info s3://bkt/ds/
expect_error 2 "storage.s3.endpoint_url.*not on 127.0.0.1" \
  "$BIN" train job.ini --set data.train=s3://bkt/ds/ --set storage.s3.endpoint_url=https://s3.amazonaws.com --out runs/aws
expect_error 2 "no credentials" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$BIN" info s3://bkt/ds/
expect_error 2 "storage.backend.*efs emulates a file system" \
  "$BIN" train job.ini --set data.train=s3://bkt/ds/ --set storage.backend=efs --out runs/efs

# credentials from a profile of ~/.aws/credentials (AWS_PROFILE), region from ~/.aws/config
mkdir -p "$HOME/.aws"
printf '[default]\naws_access_key_id = WRONG\naws_secret_access_key = x\n[lab]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$HOME/.aws/credentials"
printf '[profile lab]\nregion = eu-west-1\n' >"$HOME/.aws/config"
expect_ok env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION AWS_PROFILE=lab "$BIN" info s3://bkt/ds/
expect_error 2 "InvalidAccessKeyId" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$BIN" info s3://bkt/ds/
rm -rf "$HOME/.aws"

# a throttling and slow server: every 7th GET is 503 SlowDown, every answer 5 ms late
start_proxy 5 7
expect_ok env AWS_ENDPOINT_URL=http://127.0.0.1:$PROXY_PORT "$BIN" train job.ini \
  --set data.train=s3://bkt/ds/ --set storage.s3.backoff_ms=5 --set storage.s3.max_attempts=5 --out runs/slow
check "through 503 SlowDown and delays: the same weights" same_weights runs/local/model.h5 runs/slow/model.h5
check "the SlowDowns were retried, counted and billed" $PY - <<'EOF'
import json
st = json.load(open('runs/slow/result.json'))['storage']
assert st['slowdowns'] > 0 and st['retries'] >= st['slowdowns'], st
assert st['requests'] == st['read_ops'] + st['retries'], st
EOF
stop_proxy
# a server that stops answering: requests from the 40th on hang 5 s; a 1 s timeout retries, then fails
start_proxy 0 0 40 5000
expect_error 1 "s3://bkt/ds/part-0000[0-9].h5.*(after 2 attempts)" env AWS_ENDPOINT_URL=http://127.0.0.1:$PROXY_PORT \
  "$BIN" train job.ini --set data.train=s3://bkt/ds/ --set storage.s3.timeout_s=1 \
  --set storage.s3.max_attempts=2 --out runs/stall
stop_proxy

# a server that dies mid-run: exit 1 naming the object, checkpoint kept; resume after a restart
die=(job.ini --set data.train=s3://bkt/ds/ --set optimizer.epochs=3 --set storage.shuffle=sample
     --set storage.read_threads=1 --set storage.s3.max_attempts=2)
"$BIN" train "${die[@]}" --out runs/full >/dev/null 2>&1 || fail "the uninterrupted run"
"$BIN" train "${die[@]}" --out runs/dies >dies.out 2>dies.err &
run=$!
for _ in $(seq 400); do [[ -f runs/dies/checkpoint/checkpoint.h5 ]] && break; sleep 0.025; done
stop_server
wait $run
rc=$?
check "the run exits 1 when the server dies (got $rc)" test $rc -eq 1
check "the message names the object: $(tail -1 dies.err)" grep -q 'tradeoff: .*s3://bkt/ds/part-0000[0-9].h5' dies.err
check "the checkpoint is kept" test -f runs/dies/checkpoint/checkpoint.h5
start_server "$PORT" || exit 1
expect_ok "$BIN" train "${die[@]}" --out runs/dies --resume
check "resumed after the restart: the uninterrupted run's weights" same_weights runs/full/model.h5 runs/dies/model.h5

# calibrate: a [storage] section fitted to the server, well formed, includable in a job
expect_ok "$BIN" calibrate s3://bkt/ds/ --out cal.ini --seconds 3
check "calibrate's s3 section is well formed and sane" $PY - <<'EOF'
import configparser
c = configparser.ConfigParser(inline_comment_prefixes=(';',))
c.read('cal.ini')
s = c['storage']
assert s['backend'] == 's3', dict(s)
v = float(s['s3.first_byte_ms']); assert 0 < v < 1e4, v
# the shards are 20-30 KB: too small to see a connection's bandwidth, so the key is left out
assert 's3.mb_per_s_per_connection' not in s or 0 < float(s['s3.mb_per_s_per_connection']) < 1e5, dict(s)
text = open('cal.ini').read()
assert '; fit: time = ' in text and 'residual' in text and '2' in text.split(',')[1], text
assert float(s['s3.instance_gbps']) > 0
# the shared stage: measured at several sizes, its per-request cost a key (fitted or
# labelled assumed), and no HEAD per epoch for the real reader to emulate
assert float(s['s3.link_ms_per_request']) >= 0, dict(s)
assert 'shared stage' in text and ' concurrent, ' in text, text
assert float(s['s3.open_ms']) == 0 and "a FUSE mount's HEAD" in text, text
EOF
# includable in a job: appended to one whose [storage] sets none of its keys
printf '[data]\ntrain = data\n[workload]\ncomputation_time = 0\nbatch_size = 64\nepochs = 1\n[storage]\nread_threads = 4\nshuffle = block\n' >cal-job.ini
cat cal.ini >>cal-job.ini
expect_ok "$BIN" io-bench cal-job.ini --clock virtual --out runs/io-cal
check "the calibrated job emulates s3" $PY - <<'EOF'
import json
r = json.load(open('runs/io-cal/io.json'))
assert r['backend'] == 's3' and r['epoch_s'][0] > 0, r
EOF
expect_ok "$BIN" calibrate data --out cal-dir.ini --seconds 1 --backend fsx
check "a directory calibrates the fsx model" grep -q '^fsx.latency_ms = ' cal-dir.ini
expect_ok "$BIN" calibrate data --out cal-efs.ini --seconds 1
check "a directory calibrates efs with its client's per-request cost" grep -q '^efs.client_ms_per_request = ' cal-efs.ini
# the calibrated efs section emulates on both clocks
{ printf '[data]\ntrain = data\n[workload]\ncomputation_time = 0\nbatch_size = 64\nepochs = 1\n[storage]\nread_threads = 2\nshuffle = block\n'; cat cal-efs.ini; } >cal-efs-job.ini
expect_ok "$BIN" io-bench cal-efs-job.ini --clock virtual --out runs/io-cal-efs-v
expect_ok "$BIN" io-bench cal-efs-job.ini --out runs/io-cal-efs-r
expect_error 2 "calibrate: --max-concurrency" "$BIN" calibrate data --max-concurrency 0
expect_error 2 "calibrate: --seconds" "$BIN" calibrate data --seconds 0
expect_error 2 "nothere.*cannot open directory" "$BIN" calibrate nothere
stop_server

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
