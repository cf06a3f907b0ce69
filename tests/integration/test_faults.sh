# Faults (issue 7): a full disk while the checkpoint or the outputs are written (a file
# size limit, with SIGXFSZ ignored so writes fail with EFBIG as on a full disk) ends the
# run with exit 1 and the file named, leaves the previous checkpoint intact and resumable,
# and never a half-written output, nor a new model.h5 beside an older result.json (the
# outputs are a set: result.json removed first, renamed into place last; tried with a
# history.csv that cannot be renamed and a result.json that is a directory); storage read
# faults through the loader (errors end the run naming the file, short reads are
# completed, S3 retries).
source "$(dirname "$0")/lib.sh"

"$BIN" gen --task classification --rows 4000 --features 16 --seed 9 --compress 0 --out d.h5 2>/dev/null
cat > job.ini <<EOF
[data]
train = d.h5
[model]
type = mlp
hidden = 64,64
[optimizer]
epochs = 100   ; long enough that the kill below lands mid-run on a fast machine
batch_size = 128
[early_stopping]
enabled = false
[checkpoint]
every_epochs = 1
[cost]
pricing = $SRC/configs/pricing.ini
EOF
expect_ok "$BIN" train job.ini --out whole --quiet
# a run killed once its first checkpoints exist: the checkpoint to keep
"$BIN" train job.ini --out run --quiet 2>/dev/null &
pid=$!
for _ in $(seq 400); do [[ -f run/checkpoint/checkpoint.h5 ]] && break; sleep 0.01; done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
cp run/checkpoint/checkpoint.h5 kept.h5
# the next checkpoint does not fit: a 64 KiB file size limit ("disk full"). Open MPI's
# own shared-memory files would hit it first: singletons do without them here.
full_disk() { (trap '' XFSZ; ulimit -f "$1"; shift; OMPI_MCA_btl=self PMIX_MCA_gds=hash "$@"); }
out=$(full_disk 64 "$BIN" train job.ini --out run --quiet --resume 2>&1 >/dev/null)
rc=$?
check "a full disk during a checkpoint: exit 1 (got $rc)" test $rc -eq 1
check "one line naming the checkpoint: $out" bash -c "[[ '$out' == 'tradeoff: run/checkpoint/checkpoint.h5: write failed: File too large' ]]"
check "the previous checkpoint is intact" cmp -s kept.h5 run/checkpoint/checkpoint.h5
check "no output looks complete" test ! -e run/result.json
check "no temporary file left" bash -c "[[ -z \$(find run -name '*.tmp.*') ]]"
expect_ok "$BIN" train job.ini --out run --quiet --resume
check "resumed after the full disk: the same model as an uninterrupted run" $PY -c "
import h5py, numpy as np
a, b = h5py.File('whole/model.h5', 'r'), h5py.File('run/model.h5', 'r')
for l in a['layers']:
    for n in ('W', 'b'):
        assert np.array_equal(a['layers'][l][n][:], b['layers'][l][n][:]), (l, n)
"
# outputs do not fit (checkpoints off): no result.json, nothing half-written
out=$(full_disk 8 "$BIN" train job.ini --out full --quiet --set checkpoint.every_epochs=0 2>&1 >/dev/null)
rc=$?
check "a full disk while writing outputs: exit 1 (got $rc: $out)" test $rc -eq 1
check "no result.json and no temporaries" bash -c "test ! -e full/result.json && [[ -z \$(find full -name '*.tmp.*') ]]"

# the outputs are a set: the old result.json goes first, the new one is renamed into place
# last, so a failure part way never leaves a new model.h5 beside an older result.json
E2=(--set optimizer.epochs=2 --set checkpoint.every_epochs=0)
F=(--force)  # the runs below replace the earlier run of their directory on purpose
expect_ok "$BIN" train job.ini --out set --quiet "${E2[@]}"
cp set/model.h5 old-model.h5
rm set/history.csv && mkdir -p set/history.csv/x   # renaming history.csv into place fails
expect_error 1 '^tradeoff: set/history.csv: cannot rename into place: Is a directory$' \
  "$BIN" train job.ini --out set --quiet "${F[@]}" "${E2[@]}" --set data.seed=2
check "no complete-looking set: the old result.json is gone beside the new model.h5" \
  bash -c "test ! -e set/result.json && ! cmp -s old-model.h5 set/model.h5"
out=$("$BIN" train job.ini --out set "${F[@]}" "${E2[@]}" 2>&1 >/dev/null)
check "no summary claims outputs that were not written: $out" bash -c "! grep -q wrote <<< '$out'"
# result.json is a directory: refused before anything is written, naming result.json
expect_ok "$BIN" train job.ini --out rj --quiet "${E2[@]}"
cp rj/model.h5 old-model.h5
rm rj/result.json && mkdir -p rj/result.json/x
expect_error 1 '^tradeoff: rj/result.json: cannot remove: Is a directory$' \
  "$BIN" train job.ini --out rj --quiet "${F[@]}" "${E2[@]}" --set data.seed=2
check "the older outputs are left as they were" cmp -s old-model.h5 rj/model.h5

# storage faults through the loader, on every backend (5 epochs against their own reference)
E5=(--set optimizer.epochs=5)
expect_ok "$BIN" train job.ini --out whole5 --quiet "${E5[@]}"
for be in local efs fsx; do
  expect_error 1 'd\.h5: read of .* failed \(injected fault\)' \
    "$BIN" train job.ini --quiet --out f-$be --set storage.backend=$be --set storage.fault.error_rate=0.05 "${E5[@]}"
done
expect_ok "$BIN" train job.ini --quiet --out short --set storage.backend=local --set storage.fault.short_rate=0.5 "${E5[@]}"
check "short reads are completed: same model" $PY -c "
import h5py, numpy as np, json
a, b = h5py.File('whole5/model.h5', 'r'), h5py.File('short/model.h5', 'r')
assert all(np.array_equal(a['layers'][l]['W'][:], b['layers'][l]['W'][:]) for l in a['layers'])
assert json.load(open('short/result.json'))['storage']['short_reads'] > 0
"
# shuffle = sample: the in-memory order, so the same model (s3's auto reads files in order)
expect_ok "$BIN" train job.ini --quiet --out retry --set storage.backend=s3 --set storage.s3.first_byte_ms=0 \
  --set storage.s3.backoff_ms=1 --set storage.fault.error_rate=0.005 --set storage.shuffle=sample "${E5[@]}"
check "S3 retried its failed GETs and trained the same model" $PY -c "
import h5py, numpy as np, json
a, b = h5py.File('whole5/model.h5', 'r'), h5py.File('retry/model.h5', 'r')
assert all(np.array_equal(a['layers'][l]['W'][:], b['layers'][l]['W'][:]) for l in a['layers'])
assert json.load(open('retry/result.json'))['storage']['retries'] > 0
"
finish
