# DLIO workload files end to end: io-bench reads a shipped DLIO YAML unchanged (the
# published parameters in io.json, one warning line per key it does not model, each at
# its file:line), --set after the file, a malformed file or a bad value exit 2 at
# file:line, and the preset sweep projects the workload onto S3, EFS and FSx.
source "$(dirname "$0")/lib.sh"

W=$SRC/configs/dlio/resnet50.yaml
"$BIN" io-bench "$W" --clock virtual --set storage.backend=s3 --set cost.pricing=$SRC/configs/pricing.ini \
  --out r50 2> r50.err || fail "io-bench on resnet50.yaml failed: $(cat r50.err)"
check "io.json has DLIO's resnet50 parameters (DLIO's batch size 1 where the file says none)" $PY -c "
import json; r = json.load(open('r50/io.json'))
w = r['workload']
assert (w['files'], w['samples_total'], w['batch_size'], w['read_threads'], w['epochs']) == (1024, 1024, 1, 8, 1), w
assert w['computation_time'] == 0.1 and w['shuffle'] == 'none' and r['backend'] == 's3', w
assert r['bytes_read'] == 1024 * 150528 and r['requests'] == 1024, r
"
check "one warning line per key not modelled, at file:line" bash -c "
  [[ \$(grep -c 'warning: .*resnet50.yaml:[0-9]*: .*: not modelled by io-bench, ignored' r50.err) == 4 ]] &&
  grep -q 'resnet50.yaml:5: framework: not modelled' r50.err && grep -q 'reader.computation_threads' r50.err"
expect_ok "$BIN" io-bench "$W" --quiet --clock virtual --set workload.epochs=2 --set cost.pricing=$SRC/configs/pricing.ini --out r50b
check "--set applies after the workload file" $PY -c "
import json; assert json.load(open('r50b/io.json'))['workload']['epochs'] == 2"

printf 'dataset:\n  num_files_train: 8\n  record_length: [1\n' > bad.yaml
expect_error 2 'bad.yaml:4: malformed YAML' "$BIN" io-bench bad.yaml --clock virtual
printf 'dataset:\n  num_files_train: 8\nreader:\n  batch_size: -3\n' > neg.yaml
expect_error 2 'neg.yaml:4: reader.batch_size \(as workload.batch_size\)' "$BIN" io-bench neg.yaml --clock virtual
expect_error 2 'missing.yaml: cannot read' "$BIN" io-bench missing.yaml --clock virtual

# the preset: one workload onto the three services, projected (virtual clock)
cp -r "$SRC/configs" configs  # the preset names its job relative to the source tree
"$BIN" sweep configs/sweeps/dlio-resnet50.ini --out sw 2> sw.err || fail "the dlio-resnet50 preset failed: $(cat sw.err)"
check "the preset: AU and cost on s3, efs and fsx" $PY -c "
import json
rows = [json.loads(l) for l in open('sw/results.jsonl')]
assert sorted(r['backend'] for r in rows) == ['efs', 'fsx', 's3'], rows
for r in rows:
    assert 0 < r['train_au_mean_percentage'] <= 100.0001 and r['cost']['total_usd'] > 0, r
"
finish
