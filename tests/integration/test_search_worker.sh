# The search's workers (runner = worker, the default; issue 15's dollars): a halving
# search run in `tradeoff worker` processes against the same search with every job its
# own `tradeoff train` (runner = process): the same rung decisions and, for every trial
# (those promoted twice were resumed in-process from their checkpoints), the same metrics
# and the same predictions from model.h5; each data key loaded once (a variant whose
# data.val_fraction differs gets its own load), the worker's start-up billed to one job;
# a kill -9 of the driver ends its worker, and the restart continues with the decisions
# of the uninterrupted search; a grid sweep through the worker gives the process runner's
# results. (A worker that dies mid-job is replaced: tests/unit/test_sweep_run.c.)
source "$(dirname "$0")/lib.sh"

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
cat > w.ini <<EOF
[sweep]
job = job.ini
metric = auc
search = halving
eta = 3
min_epochs = 1
max_epochs = 9
[variant.lin]
model.type = logistic
[variant.mlp]
model.type = mlp
[variant.mlpv]
model.type = mlp
data.val_fraction = 0.3
[grid]
optimizer.lr = 0.003, 0.03
optimizer.l2 = 0, 0.1
EOF
sed -e 's/^max_epochs = 9/max_epochs = 9\nrunner = process/' w.ini > p.ini
expect_ok "$BIN" sweep w.ini --out w
expect_ok "$BIN" sweep p.ini --out p
check "worker and process runners: the same rung decisions and metrics for every trial" $PY -c "
import json
a = [json.loads(l) for l in open('w/results.jsonl')]
b = [json.loads(l) for l in open('p/results.jsonl')]
assert len(a) == len(b) == 12, (len(a), len(b))
strip = lambda s: [(g['rung'], g['epoch'], g['value'], g['decision']) for g in s['rungs']]
for x, y in zip(a, b):
    assert strip(x['point']['search']) == strip(y['point']['search']), (x['point'], y['point'])
    assert x['val'] == y['val'] and x['test'] == y['test'], (x['point']['id'], x['test'], y['test'])
    assert x['data']['test_rows_digest'] == y['data']['test_rows_digest']
    assert 'worker' in x and 'worker' not in y
assert any(r['epochs_run'] == 9 for r in a)"
# every trial's model: the same predictions (the trials that reached 9 epochs were resumed
# twice, in the worker from their checkpoints vs by a new process)
same=0
for d in w/points/*/; do
  n=$(basename "$d")
  "$BIN" predict --model "$d/model.h5" --data d.h5 --out "w-$n.csv" >/dev/null 2>&1 &&
    "$BIN" predict --model "p/points/$n/model.h5" --data d.h5 --out "p-$n.csv" >/dev/null 2>&1 &&
    cmp -s "w-$n.csv" "p-$n.csv" && same=$((same + 1))
done
check "worker and process runners: the same predictions from every trial's model.h5 ($same of 12)" test "$same" -eq 12
check "worker: each data key loaded once (logistic, mlp, mlp with val_fraction 0.3), the start-up billed to one job" $PY -c "
import glob, json
jobs = [j for f in glob.glob('w/points/*/search.json') for j in json.load(open(f))['jobs']]
loaded = [j for j in jobs if j['data'] == 'loaded']
assert len(loaded) == 3 and len({j['data_key'] for j in loaded}) == 3, loaded
assert all(j['data'] in ('loaded', 'reused') for j in jobs)
assert len({j['data_key'] for j in jobs}) == 3
assert sum(1 for j in jobs if j['billed_before_s'] > 0) == 1, [j['billed_before_s'] for j in jobs]
by_var = {}
for l in open('w/results.jsonl'):
    r = json.loads(l)
    by_var.setdefault(r['point']['variant'], set()).add(r['worker']['data_key'])
assert all(len(v) == 1 for v in by_var.values()) and len(set.union(*by_var.values())) == 3, by_var
for l in open('w/results.jsonl'):
    r = json.loads(l)
    assert r['data']['val_rows'] == (900 if r['point']['variant'] == 'mlpv' else 300), r['data']"

# kill -9 of the driver mid-search: its worker checkpoints its job and ends; the restart
# continues with the decisions of the uninterrupted search, no rung run twice
"$BIN" sweep w.ini --out k >/dev/null 2>&1 &
pid=$!
n=0
for _ in $(seq 1 1200); do
  n=$(cat k/points/*/search.json 2>/dev/null | grep -c until_epoch || true)
  [[ $n -ge 4 ]] && break
  sleep 0.05
done
workers=$(pgrep -P $pid || true)
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check "killed mid-search (4+ jobs done, got $n; worker $workers)" test "$n" -ge 4 -a -n "$workers"
gone=0
for _ in $(seq 1 200); do
  alive=0
  for w in $workers; do kill -0 "$w" 2>/dev/null && alive=1; done
  [[ $alive -eq 0 ]] && { gone=1; break; }
  sleep 0.05
done
check "the worker ended with its driver" test $gone -eq 1
out=$("$BIN" sweep w.ini --out k 2>&1)
check "after the kill: earlier jobs taken from the ledgers" grep -Eq "[1-9][0-9]* from earlier runs" <<<"$out"
check "after the kill: the uninterrupted search's decisions and metrics, no rung run twice" $PY -c "
import glob, json
a = [json.loads(l) for l in open('w/results.jsonl')]
b = [json.loads(l) for l in open('k/results.jsonl')]
strip = lambda s: [(g['rung'], g['epoch'], g['value'], g['decision']) for g in s['rungs']]
assert [strip(x['point']['search']) for x in a] == [strip(x['point']['search']) for x in b]
assert [x['test'] for x in a] == [x['test'] for x in b]
for f in glob.glob('k/points/*/search.json'):
    u = [j['until_epoch'] for j in json.load(open(f))['jobs']]
    assert len(u) == len(set(u)), (f, u)"

# a grid sweep runs its points in one worker too: the process runner's results
cat > g.ini <<EOF
[sweep]
job = job.ini
[grid]
optimizer.lr = 0.003, 0.03
model.type = logistic, mlp
optimizer.epochs = 3
EOF
sed -e 's/^job = job.ini/job = job.ini\nrunner = process/' g.ini > gp.ini
expect_ok "$BIN" sweep g.ini --out g
expect_ok "$BIN" sweep gp.ini --out gp
check "grid: the worker's results are the process runner's; 2 loads for 4 points" $PY -c "
import json
a = [json.loads(l) for l in open('g/results.jsonl')]
b = [json.loads(l) for l in open('gp/results.jsonl')]
assert len(a) == len(b) == 4
assert [x['test'] for x in a] == [x['test'] for x in b]
assert sorted(x['worker']['data'] for x in a) == ['loaded', 'loaded', 'reused', 'reused'], [x['worker'] for x in a]"

finish
