#!/usr/bin/env bash
# Searches against the full grid (issue 15), in one run on this machine: the 36
# configurations of configs/sweeps/search.ini (logistic, MLP 64-32 and 128-64 x lr x L2 x
# batch size, early stopping off, 27 epochs) on the fraud-like set of scripts/presets
# (`tradeoff gen` 60,000 x 30, 3% positives, seed 11), run four ways:
#   grid       every configuration to 27 epochs (the plain sweep)
#   halving    ASHA, eta 3, rungs at 1, 3, 9, 27 epochs, decided on the validation AUC
#   hyperband  Hyperband's 4 brackets (starting at 1, 3, 9, 27 epochs), synchronous halving in each
#   random     36 trials drawn from the same values, each to 27 epochs, under
#              budget_usd = what halving spent
# Dollars are each search's spent_usd (search.json: its jobs' costs from their measured
# time) and, for the grid, the sum of its runs' cost.total_usd. Every method runs with
# the same runner (RUNNER: worker, the default, or process: every job its own `tradeoff
# train`). With REPEAT=N the grid, halving and hyperband run N times, interleaved, and
# each method's cheapest run is shown (best of N: the machine may be shared); random
# runs N times at the cheapest halving's spend. Prints a markdown table on stdout (also
# bench/out/search/table.md); progress on stderr.
# Usage: bench/bench_search.sh [BUILD_DIR]
# Environment: ROWS=60000 PARALLEL=1 RUNNER=worker REPEAT=1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)   # absolute: the script works in its OUT
bin=$build/tradeoff
rows=${ROWS:-60000}
parallel=${PARALLEL:-1}
runner=${RUNNER:-worker}
repeat=${REPEAT:-1}
out=$here/out/search
mkdir -p "$out/data"
cd "$out"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
[[ -f data/fraud-$rows.h5 ]] || "$bin" gen --task classification --rows "$rows" --features 30 --informative 8 \
  --weights 0.97,0.03 --noise 0.02 --seed 11 --out "data/fraud-$rows.h5" >&2
ln -sfn "fraud-$rows.h5" data/fraud.h5   # the path the preset's job names
# the preset's space, one thread per run (the machine is shared: no spinning OpenMP pool)
sed -e "s|^job = .*|job = $root/configs/sweeps/fraud.ini\nrunner = $runner|" -e "s|^parallel = .*|parallel = $parallel|" \
  -e 's|^early_stopping.enabled = false|early_stopping.enabled = false\noptimizer.threads = 1|' \
  "$root/configs/sweeps/search.ini" > halving.ini
sed -e 's|^search = halving|search = hyperband|' halving.ini > hyperband.ini
sed -e '/^search = /d; /^eta = /d; /^min_epochs = /d; /^max_epochs = /d; /^parallel = /d' halving.ini |
  sed -e 's|^\[grid\]|[grid]\noptimizer.epochs = 27|' > grid.ini
rm -rf runs-grid* runs-halving* runs-hyperband* runs-random*
for rep in $(seq 1 "$repeat"); do
  for s in grid halving hyperband; do
    echo "== $s ($rep of $repeat, runner $runner)" >&2
    /usr/bin/time -f "$s wall %e s" "$bin" sweep "$s.ini" --out "runs-$s-$rep" 2> "$s-$rep.log" || { tail -5 "$s-$rep.log" >&2; exit 1; }
    tail -1 "$s-$rep.log" >&2
  done
done
budget=$(python3 -c "
import json, sys
print('%.9f' % min(json.load(open(f'runs-halving-{r}/search.json'))['spent_usd'] for r in range(1, $repeat + 1)))")
{
  sed -n '1,/^\[variant.logistic\]/p' halving.ini | sed -e '/^\[variant.logistic\]/d' \
    -e 's|^search = halving|search = random|' -e '/^eta = /d; /^min_epochs = /d'
  echo "trials = 36"
  echo "budget_usd = $budget"
  sed -n '/^\[variant.logistic\]/,/^\[grid\]/p' halving.ini | sed -e '/^\[grid\]/d'
  echo "[space]"
  sed -n '/^\[grid\]/,$p' halving.ini | sed -e '/^\[grid\]/d'
} > random.ini
for rep in $(seq 1 "$repeat"); do
  echo "== random (budget \$$budget; $rep of $repeat)" >&2
  /usr/bin/time -f "random wall %e s" "$bin" sweep random.ini --out "runs-random-$rep" 2> "random-$rep.log" || { tail -5 "random-$rep.log" >&2; exit 1; }
  tail -1 "random-$rep.log" >&2
done
python3 - "$out" "$repeat" "$runner" <<'PY' | tee table.md
import glob, json, sys, os
out, repeat, runner = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def rows(d):
    return [json.loads(l) for l in open(os.path.join(out, d, "results.jsonl"))]
def summary(d):
    p = os.path.join(out, d, "search.json")
    return json.load(open(p)) if os.path.exists(p) else None
def usd(s, d):
    return sum(r["cost"]["total_usd"] for r in rows(d)) if s == "grid" else summary(d)["spent_usd"]
def jobs(d):
    js = [j for f in glob.glob(os.path.join(out, d, "points", "*", "search.json")) for j in json.load(open(f))["jobs"]]
    return len(js), sum(1 for j in js if j.get("data") == "loaded")
best = {}
for s in ("grid", "halving", "hyperband", "random"):
    runs = [f"runs-{s}-{r}" for r in range(1, repeat + 1)]
    seen = {json.dumps([(x["point"]["id"], x["epochs_run"], x["test"]["auc"]) for x in rows(d)]) for d in runs}
    if s != "random" and len(seen) > 1:
        sys.exit(f"{s}: the repeats decided differently")
    best[s] = min(runs, key=lambda d: usd(s, d))
grid = rows(best["grid"])
grid_usd = usd("grid", best["grid"])
grid_best = max(r["test"]["auc"] for r in grid)
grid_cost = {r["point"]["config_digest"]: r["cost"]["total_usd"] / r["epochs_run"] for r in grid}
print(f"runner = {runner}; best of {repeat} (each method's cheapest run)\n")
print("| method | trials run | epochs trained | jobs (data loads) | dollars | of the grid's | its epochs at the grid's cost of an epoch | best test AUC (trials run to 27 epochs) | its gap to the grid's best | test AUC of the trial it picks (best validation AUC) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for s in ("grid", "halving", "hyperband", "random"):
    d = best[s]
    rs = rows(d)
    full = [r for r in rs if r["epochs_run"] == 27]
    u = usd(s, d)
    top = max(r["test"]["auc"] for r in full) if full else float("nan")
    pick = max(full, key=lambda r: r["val"]["auc"])["test"]["auc"] if full else float("nan")
    epochs = sum(r["epochs_run"] for r in rs)
    at_grid = sum(grid_cost[r["point"]["config_digest"]] * r["epochs_run"] for r in rs)
    if s == "grid":
        n_jobs, loads = len(rs), sum(1 for r in rs if r.get("worker", {}).get("data") == "loaded")
    else:
        n_jobs, loads = jobs(d)
    extra = ""
    sm = summary(d)
    if sm and sm.get("budget_usd") is not None:
        extra = f" (budget ${sm['budget_usd']:.6f}; {len(sm['left_unrun'])} left unrun)"
    all_usd = ", ".join(f"{usd(s, f'runs-{s}-{r}'):.6f}" for r in range(1, repeat + 1))
    print(f"| {s}{extra} | {len(rs)} | {epochs} | {n_jobs} ({loads}) | ${u:.6f} (runs: {all_usd}) | {u / grid_usd:.1%} | {at_grid / grid_usd:.1%} | {top:.4f} | {grid_best - top:+.4f} | {pick:.4f} |")
for s in ("halving", "hyperband"):
    sm = summary(best[s])
    print(f"\n{s}: cost saved by pruning ${sm['cost_saved_by_pruning_usd']:.6f}; spent ${sm['spent_usd']:.6f}")
PY
