# Sweeps end to end: a grid over variants and rank counts (mpirun for 2 ranks) into
# results.jsonl with projections, a restart that skips finished points, a failing point
# that does not stop the others, one sweep at a time in OUT, the Slurm job array and
# merge, recommend (text, JSON, nothing qualifies, bad arguments), and malformed sweep
# files (a value its storage backend refuses among them: refused before any point runs).
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

expect_ok "$BIN" gen --task classification --rows 3000 --features 10 --weights 0.8,0.2 --seed 3 --out d.h5
cat > job.ini <<EOF
[data]
train = d.h5
[model]
hidden = 16
[optimizer]
epochs = 8
threads = 1
[early_stopping]
monitor = val_auc
patience = 2
[cost]
pricing = $SRC/configs/pricing.ini
EOF
cat > sw.ini <<EOF
[sweep]
job = job.ini
metric = auc
[variant.baseline]
model.type = logistic
optimizer.name = lbfgs
[variant.mlp]
model.type = mlp
[grid]
ranks = 1, 2
[project]
instances = c5.4xlarge
EOF
expect_ok "$BIN" sweep sw.ini --out out
check "results.jsonl: 4 measured runs and 2 projections, with their points" $PY -c "
import json
lines = [json.loads(l) for l in open('out/results.jsonl')]
assert len(lines) == 6, len(lines)
ids = [l['point']['id'] for l in lines]
assert ids[:4] == ['p0001', 'p0002', 'p0003', 'p0004'], ids
assert [l['point']['ranks'] for l in lines[:4]] == [1, 2, 1, 2]
assert [l['parallel']['ranks'] for l in lines[:4]] == [1, 2, 1, 2]
assert [l['point']['variant'] for l in lines[:4]] == ['baseline', 'baseline', 'mlp', 'mlp']
assert lines[0]['point']['set'] == {'model.type': 'logistic', 'optimizer.name': 'lbfgs'}, lines[0]['point']
assert all(l['point']['label'] == 'measured' for l in lines[:4])
for l in lines[4:]:
    p = l['point']
    assert p['label'] == 'projected' and p['id'].endswith('@c5.4xlarge') and 'amdahl' in p, p
    assert l['cost']['instance'] == 'c5.4xlarge'
for l in lines[:4]:
    assert 'auc' in l['test'] and l['cost']['total_usd'] > 0
"
check "each point keeps its run, in a directory named by its configuration" bash -c "test -f out/points/p0002-*/result.json -a -f out/points/p0002-*/model.h5 -a -f out/points/p0004-*/record.json"
cp out/results.jsonl first.jsonl
out=$("$BIN" sweep sw.ini --out out 2>&1)
check "a restarted sweep skips finished points" bash -c "[[ \$(grep -c 'done before, skipped' <<< '$out') == 4 ]]"
check "and leaves results.jsonl as it was" cmp -s first.jsonl out/results.jsonl
# one sweep at a time in OUT: a held OUT (here by this shell, as a running sweep holds it:
# flock on OUT/.lock with the pid in it) stops a second sweep at once, exit 2
exec 9>>out/.lock
flock -n 9 && echo $$ > out/.lock
expect_error 2 "^tradeoff: out is in use by pid $$\$" "$BIN" sweep sw.ini --out out
exec 9>&-
rm out/points/p0003-*/record.json
out=$("$BIN" sweep sw.ini --out out 2>&1)
check "a missing record reruns only its point" bash -c "[[ \$(grep -c 'skipped' <<< '$out') == 3 && '$out' == *'p0003 done in'* ]]"

# points are keyed by their configuration: an edited sweep file reuses the unchanged
# points (here the same variants in another order), runs the new ones, and drops the
# removed ones from results.jsonl (their directories stay)
cat > sw.ini <<EOF
[sweep]
job = job.ini
metric = auc
[variant.mlp]
model.type = mlp
[variant.baseline]
model.type = logistic
optimizer.name = lbfgs
[grid]
ranks = 1, 3
[project]
instances = c5.4xlarge
EOF
out=$("$BIN" sweep sw.ini --out out 2>&1)
check "edited: unchanged configurations reused, new ones run" bash -c "[[ \$(grep -c 'done before, skipped' <<< '$out') == 2 && \$(grep -c ' done in ' <<< '$out') == 2 ]]"
check "edited: results.jsonl holds the file's points only, with their current ids" $PY -c "
import json
lines = [json.loads(l) for l in open('out/results.jsonl')]
m = [l for l in lines if l['point']['label'] == 'measured']
got = [(l['point']['id'], l['point']['variant'], l['point']['ranks']) for l in m]
assert got == [('p0001', 'mlp', 1), ('p0002', 'mlp', 3), ('p0003', 'baseline', 1), ('p0004', 'baseline', 3)], got
assert all(l['parallel']['ranks'] == l['point']['ranks'] for l in m)
"
check "edited: the removed points' runs stay on disk" bash -c "[[ \$(ls -d out/points/p*-* | wc -l) == 6 ]]"
printf '[sweep]\njob = job.ini\n[grid]\noptimizer.lr = 0.001\n' > other.ini
cp -r out taken
expect_error 2 "^tradeoff: taken: holds the sweep of .*/sw.ini, not of .*/other.ini: --force" "$BIN" sweep other.ini --out taken
expect_ok "$BIN" sweep other.ini --out taken --force

# a failing point: the others still run and are recorded; exit 1
cat > fail.ini <<EOF
[sweep]
job = job.ini
[grid]
data.train = d.h5, missing.h5
EOF
"$BIN" sweep fail.ini --out fail 2> fail.err
check "a failed point: exit 1, the child's error, then the sweep's" bash -c "[[ $? == 1 ]] && grep -q 'missing.h5' fail.err && [[ \$(tail -1 fail.err) == 'tradeoff: sweep: 1 of 2 points failed' ]]"
check "the good point is recorded" bash -c "[[ \$(wc -l < fail/results.jsonl) == 1 ]]"

# Slurm: a job array, one task per point, then a merge
expect_ok "$BIN" sweep sw.ini --out slurm --emit-slurm
check "sweep.sbatch: an array of 4 tasks that run --point" bash -c "grep -q -- '--array=1-4' slurm/sweep.sbatch && grep -q -- '--point \"\$SLURM_ARRAY_TASK_ID\"' slurm/sweep.sbatch && bash -n slurm/sweep.sbatch"
check "emit-slurm runs nothing" test ! -e slurm/results.jsonl
expect_ok "$BIN" sweep sw.ini --out slurm --point 3
check "--point runs one point" bash -c "test -f slurm/points/p0003-*/record.json && test -z \"\$(ls -d slurm/points/p0001-* 2>/dev/null)\""
expect_ok "$BIN" sweep sw.ini --out slurm --merge
check "--merge gathers the records" bash -c "[[ \$(head -1 slurm/results.jsonl) == *'\"p0003\"'* ]]"
expect_error 2 'sweep: --point 9: the sweep has 4 points' "$BIN" sweep sw.ini --out slurm --point 9

# recommend
"$BIN" recommend out --metric auc --min 0.5 --top 3 > rec.txt
check "recommend: a ranked table with reasons" bash -c "grep -q '^1 ' rec.txt && grep -q 'why: the cheapest run that meets the target' rec.txt && [[ \$(grep -c 'why:' rec.txt) == 3 ]]"
"$BIN" recommend out --metric auc --min 0.5 --json > rec.json
check "recommend --json: sorted by cost, every row meets the target" $PY -c "
import json; rows = json.load(open('rec.json'))
assert len(rows) == 5 and [r['rank'] for r in rows] == [1, 2, 3, 4, 5]
costs = [r['cost_usd'] for r in rows]
assert costs == sorted(costs) and all(r['auc'] >= 0.5 for r in rows) and rows[0]['why']
"
expect_error 1 'no run meets auc >= 0.9999: the best is' "$BIN" recommend out --metric auc --min 0.9999
expect_error 1 'meet auc >= 0.5 but none finishes within 1e-08 h' "$BIN" recommend out --metric auc --min 0.5 --deadline-h 0.00000001
expect_error 2 'auc: higher is better: give the target with --min' "$BIN" recommend out --metric auc --max 0.5
expect_error 2 'rmse: lower is better' "$BIN" recommend out --metric rmse --min 0.5
expect_error 2 'recommend: --metric NAME is required' "$BIN" recommend out --min 0.5
expect_error 2 'nowhere/results.jsonl: cannot open' "$BIN" recommend nowhere --metric auc --min 0.5
echo '{"point": {"id": "x"}' > out/results.jsonl
expect_error 2 'results.jsonl:1: not valid JSON' "$BIN" recommend out --metric auc --min 0.5

# malformed sweep files
printf '[sweep]\njob = job.ini\n[grid]\nmodel.type = logistic, forest\n' > bad.ini
expect_error 2 'bad.ini:4: model.type: expected one of' "$BIN" sweep bad.ini --out bad
printf '[sweep]\njob = nojob.ini\n' > bad.ini
expect_error 2 'bad.ini: sweep.job: no such file: nojob.ini' "$BIN" sweep bad.ini --out bad
expect_error 2 'sweep: expected one SWEEP.ini' "$BIN" sweep
# a value valid for its key but not for its backend (FSx's smallest capacity is 1.2 TiB):
# found before any point runs, at its line, for a run, a merge and a Slurm array alike
printf '[sweep]\njob = job.ini\n[grid]\nstorage.fsx.capacity_tib = 2.4, 0.5\n' > bad.ini
expect_error 2 '^tradeoff: bad.ini:4: storage.fsx.capacity_tib = 0.5 \(point p0002\): must be 0 .* or at least 1.2 TiB$' "$BIN" sweep bad.ini --out bad
expect_error 2 '^tradeoff: bad.ini:4: storage.fsx.capacity_tib = 0.5 \(point p0002\)' "$BIN" sweep bad.ini --out bad --merge
expect_error 2 '^tradeoff: bad.ini:4: storage.fsx.capacity_tib = 0.5 \(point p0002\)' "$BIN" sweep bad.ini --out bad --emit-slurm
printf '[sweep]\njob = job.ini\n[variant.a]\nmodel.type = logistic\n[variant.b]\nmodel.type = mlp\nstorage.fsx.capacity_tib = 1\n' > bad.ini
expect_error 2 '^tradeoff: bad.ini:7: storage.fsx.capacity_tib = 1 \(point p0002\): must be' "$BIN" sweep bad.ini --out bad
check "rejected sweeps leave nothing" test ! -e bad
# an array task resolves only its own point: the good one runs
printf '[sweep]\njob = job.ini\n[grid]\nstorage.fsx.capacity_tib = 2.4, 0.5\noptimizer.epochs = 1\n' > bad.ini
expect_ok "$BIN" sweep bad.ini --out badtask --point 1
check "--point 1 of a sweep whose point 2 is bad runs point 1" bash -c "test -f badtask/points/p0001-*/record.json"

finish
