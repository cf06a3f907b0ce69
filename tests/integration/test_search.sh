# Searches end to end (issue 15): ASHA halving over a grid (rung decisions on val_auc in
# every record, a promoted trial resumed from its rung's checkpoint to the result of an
# uninterrupted run), a restart that runs nothing again, a kill -9 mid-search that
# continues where it stood with the same decisions, random search with the median rule
# (seeded: the same trials twice), hyperband with parallel = 2 under a sweep budget,
# a two-rank point under mpirun, cost.budget_usd on a run (stop, alerts, resume under a
# raised budget), the Slurm driver job, recommend and report on a search, and malformed
# [space] entries refused at their line.
source "$(dirname "$0")/lib.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

expect_ok "$BIN" gen --task classification --rows 3000 --features 10 --informative 5 --weights 0.85,0.15 --seed 5 --out d.h5
cat > job.ini <<EOF
[data]
train = d.h5
[model]
type = mlp
hidden = 8
[optimizer]
name = adam
lr = 0.01
batch_size = 128
epochs = 9
threads = 1
[early_stopping]
enabled = false
[cost]
pricing = $SRC/configs/pricing.ini
EOF
cat > half.ini <<EOF
[sweep]
job = job.ini
metric = auc
search = halving
eta = 3
min_epochs = 1
max_epochs = 9
[grid]
optimizer.lr = 0.0003, 0.003, 0.03
optimizer.l2 = 0, 0.1
EOF
expect_ok "$BIN" sweep half.ini --out h1
check "halving: every trial recorded, rungs at epochs 1, 3, 9 decided on val_auc from history.csv" $PY -c "
import csv, json
rows = [json.loads(l) for l in open('h1/results.jsonl')]
assert len(rows) == 6, len(rows)
dec = {}
for r in rows:
    s = r['point']['search']
    assert r['epochs_run'] in (1, 3, 9) and s['epochs_run'] == r['epochs_run'], s
    assert r['stop_reason'] == ('max_epochs' if r['epochs_run'] == 9 else 'rung'), r['stop_reason']
    assert r['search']['search'] == 'halving' and r['search']['spent_usd'] > 0
    hist = list(csv.DictReader(open('h1/' + r['point']['dir'] + '/history.csv')))
    for g in s['rungs']:
        assert abs(float(hist[g['epoch'] - 1]['val_auc']) - g['value']) < 1e-6, (g, hist)
        assert g['why'], g
        dec[g['decision']] = dec.get(g['decision'], 0) + 1
assert dec.get('promoted', 0) >= 2 and dec.get('stopped', 0) >= 3 and dec.get('completed', 0) >= 1, dec
assert json.load(open('h1/search.json'))['cost_saved_by_pruning_usd'] > 0
"
# a promoted trial went on from its rung's checkpoint: its result is an uninterrupted run's
done_dir=$($PY -c "
import json
for l in open('h1/results.jsonl'):
    r = json.loads(l)
    if r['epochs_run'] == 9: print(r['point']['dir']); break")
sets=$($PY -c "
import json
for l in open('h1/results.jsonl'):
    r = json.loads(l)
    if r['epochs_run'] == 9: print(' '.join('--set %s=%s' % kv for kv in r['point']['set'].items())); break")
expect_ok "$BIN" train job.ini $sets --out straight --quiet
check "a trial promoted twice ends where an uninterrupted run ends (test auc)" $PY -c "
import json
a = json.load(open('h1/$done_dir/result.json')); b = json.load(open('straight/result.json'))
assert abs(a['test']['auc'] - b['test']['auc']) < 1e-9 and a['epochs_run'] == b['epochs_run'], (a['test'], b['test'])"

# a restart runs nothing again and decides the same
cp h1/results.jsonl first.jsonl
out=$("$BIN" sweep half.ini --out h1 2>&1)
check "restart: no job runs again ($out)" grep -q " 0 jobs run" <<<"$out"
check "restart: the same decisions" $PY -c "
import json
a = [json.loads(l)['point']['search'] for l in open('first.jsonl')]
b = [json.loads(l)['point']['search'] for l in open('h1/results.jsonl')]
assert a == b"

# kill -9 mid-search: the restart continues where it stood, no rung runs twice
"$BIN" sweep half.ini --out h2 >/dev/null 2>&1 &
pid=$!
n=0
for _ in $(seq 1 1200); do
  n=$(cat h2/points/*/search.json 2>/dev/null | grep -c until_epoch || true)
  [[ $n -ge 3 ]] && break
  sleep 0.05
done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check "killed mid-search (3+ jobs done, got $n)" test "$n" -ge 3
sleep 1 # the children checkpoint and stop on SIGTERM (PR_SET_PDEATHSIG)
out=$("$BIN" sweep half.ini --out h2 2>&1)
check "after the kill: earlier jobs taken from the ledgers ($out)" grep -Eq "[1-9][0-9]* from earlier runs" <<<"$out"
check "after the kill: the decisions of the uninterrupted search, no rung run twice" $PY -c "
import glob, json
a = [json.loads(l)['point']['search'] for l in open('h1/results.jsonl')]
b = [json.loads(l)['point']['search'] for l in open('h2/results.jsonl')]
strip = lambda s: [(g['rung'], g['epoch'], g['value'], g['decision']) for g in s['rungs']]
assert [strip(x) for x in a] == [strip(x) for x in b], (a, b)
for f in glob.glob('h2/points/*/search.json'):
    u = [j['until_epoch'] for j in json.load(open(f))['jobs']]
    assert len(u) == len(set(u)), (f, u)"

expect_ok "$BIN" recommend h1 --metric auc --min 0.5
expect_ok "$BIN" report h1
check "report: the search's lines" grep -q "Cost saved by pruning" h1/report.md
check "report: search-curves drawn" test -s h1/search-curves.png

# random search with the median rule, seeded
cat > rnd.ini <<EOF
[sweep]
job = job.ini
metric = auc
search = random
trials = 5
seed = 7
max_epochs = 5
prune = median
prune_after = 1
prune_startup = 1
[space]
optimizer.lr = loguniform(1e-5, 3e-2)
model.hidden = int(2, 12)
optimizer.batch_size = 64, 256
EOF
expect_ok "$BIN" sweep rnd.ini --out r1
check "random: 5 trials drawn within [space]; pruned trials stopped below the median" $PY -c "
import json
rows = [json.loads(l) for l in open('r1/results.jsonl')]
assert len(rows) == 5
for r in rows:
    s = r['point']['set']
    assert 1e-5 <= float(s['optimizer.lr']) <= 3e-2 and 2 <= int(s['model.hidden']) <= 12, s
    assert s['optimizer.batch_size'] in ('64', '256')
    if r['stop_reason'] == 'pruned':
        p = r['pruned']
        assert p['value'] < p['median'] and r['epochs_run'] == p['epoch'] < 5, p
        assert r['point']['search']['status'] == 'pruned'
"
cp rnd.ini rnd2.ini
expect_ok "$BIN" sweep rnd2.ini --out r2
check "random: the same seed draws the same trials" $PY -c "
import json
a = [json.loads(l)['point']['set'] for l in open('r1/results.jsonl')]
b = [json.loads(l)['point']['set'] for l in open('r2/results.jsonl')]
assert a == b"

# hyperband, two trials at a time, under a budget of a few short jobs: half of what the
# halving search above spent on this machine (dollars follow the measured time, so a fixed
# figure would bind on a slow machine and not on a fast one)
HB_BUDGET=$($PY -c "import json; print('%.10f' % (0.5 * json.load(open('h1/search.json'))['spent_usd']))")
export HB_BUDGET
sed 's/^threads = 1$/threads = 0/' job.ini > hbjob.ini  # all cores: the sweep shares them out
cat > hb.ini <<EOF
[sweep]
job = hbjob.ini
metric = auc
search = hyperband
eta = 3
min_epochs = 1
max_epochs = 9
parallel = 2
budget_usd = $HB_BUDGET
[grid]
optimizer.lr = 0.0003, 0.003, 0.03
optimizer.l2 = 0, 0.01, 0.1
EOF
expect_ok "$BIN" sweep hb.ini --out hb
check "hyperband: brackets, spent within the budget (+ less than a job), the rest left unrun and listed" $PY -c "
import json, os
s = json.load(open('hb/search.json'))
assert s['brackets'] == 3 and abs(s['budget_usd'] - float(os.environ['HB_BUDGET'])) < 1e-12
rows = [json.loads(l) for l in open('hb/results.jsonl')]
assert all(r['search']['left_unrun'] == s['left_unrun'] for r in rows)
assert len(s['left_unrun']) + len(s['promotions_refused']) > 0 and s['ran'] + len(s['left_unrun']) == 9, s
import glob
# projections are estimates from measured jobs: over the budget by less than one job
job = max(j['usd'] for f in glob.glob('hb/points/*/search.json') for j in json.load(open(f))['jobs'])
assert s['spent_usd'] <= s['budget_usd'] + job, (s, job)
assert {r['point']['search']['bracket'] for r in rows} <= {0, 1, 2}"
check "hyperband, parallel = 2: each job ran with the cores shared (K x threads <= cores)" $PY -c "
import glob, json, os
want = max(1, os.cpu_count() // 2)
got = {json.load(open(f))['parallel']['threads_per_rank'] for f in glob.glob('hb/points/*/result.json')}
assert got == {want}, (got, want)"

# a two-rank point under mpirun
cat > mpi.ini <<EOF
[sweep]
job = job.ini
metric = auc
search = halving
eta = 2
min_epochs = 1
max_epochs = 2
[grid]
ranks = 1, 2
EOF
expect_ok "$BIN" sweep mpi.ini --out m
check "mpirun point: two ranks recorded in a search" $PY -c "
import json
rows = [json.loads(l) for l in open('m/results.jsonl')]
assert sorted(r['parallel']['ranks'] for r in rows) == [1, 2], rows
assert any(r['epochs_run'] == 2 for r in rows)"

# cost.budget_usd on a run: stopped before an epoch that would exceed it, alerts, resumable
expect_ok "$BIN" train job.ini --set optimizer.epochs=1000000 --set cost.budget_usd=0.0001 --out b --quiet
check "budget: stop_reason budget before the projection passed it, alerts at 50 and 80%" $PY -c "
import json
r = json.load(open('b/result.json')); b = r['cost']['budget']
assert r['stop_reason'] == 'budget' and 0 < r['epochs_run'] < 1000000, r['stop_reason']
assert [a['percent'] for a in b['alerts']][:2] == [50, 80], b
assert b['projected_usd'] > 0.0001 and b['stopped'], b
# spent when it stopped: under the budget, or over it by less than the epoch it projected
assert b['spent_at_stop_usd'] <= 0.0001 or b['spent_at_stop_usd'] - 0.0001 < b['projected_usd'] - b['spent_at_stop_usd'], b
assert all(a['spent_usd'] <= 0.0001 for a in b['alerts'] if a['epoch'] < r['epochs_run']), b"
check "budget: the checkpoint was written" test -f b/checkpoint/checkpoint.h5
expect_ok "$BIN" train job.ini --set optimizer.epochs=1000000 --set cost.budget_usd=0.0002 --out b --resume --quiet
check "budget: resumed under a raised budget" $PY -c "
import json
r = json.load(open('b/result.json'))
assert r['stop_reason'] == 'budget' and r['cost']['budget']['budget_usd'] == 0.0002, r['cost']['budget']"

# the Slurm driver job
expect_ok "$BIN" sweep half.ini --out sl --emit-slurm
check "emit-slurm: one driver job, no array, valid bash" bash -c "grep -q 'tradeoff-search' sl/sweep.sbatch && ! grep -q -- '--array' sl/sweep.sbatch && bash -n sl/sweep.sbatch"
expect_error 2 "a search runs as one driver" "$BIN" sweep half.ini --out sl --point 1

# malformed entries, at their line
printf '[sweep]\njob = job.ini\nsearch = random\ntrials = 2\n[space]\noptimizer.lr = loguniform(0, 1)\n' > bad1.ini
expect_error 2 "bad1.ini:6: \[space\] optimizer.lr: loguniform\(a, b\): needs 0 < a" "$BIN" sweep bad1.ini --out x
printf '[sweep]\njob = job.ini\nsearch = random\ntrials = 2\n[space]\nmodel.hidden = int(4)\n' > bad2.ini
expect_error 2 "bad2.ini:6: \[space\] model.hidden: int\(a, b\): expected two numbers" "$BIN" sweep bad2.ini --out x
printf '[sweep]\njob = job.ini\nsearch = halving\n[grid]\noptimizer.lr = 0.1\n' > bad3.ini
expect_error 2 "bad3.ini:3: the search decides on a validation metric" "$BIN" sweep bad3.ini --out x
expect_error 2 "--prune-below: epoch 2 is given twice" "$BIN" train job.ini --prune-below val_auc:2=1,2=1 --out x
expect_error 2 "--prune-below: history has no val_r2" "$BIN" train job.ini --prune-below val_r2:2=1 --out x2
finish
