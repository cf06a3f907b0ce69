#!/usr/bin/env bash
# Searches against the full grid (issue 15), in one run on this machine: the 36
# configurations of configs/sweeps/search.ini (logistic, MLP 64-32 and 128-64 x lr x L2 x
# batch size, early stopping off, 27 epochs) on the fraud-like set of scripts/presets
# (`tradeoff gen` 60,000 x 30, 3% positives, seed 11), run four ways:
#   grid       every configuration to 27 epochs (the plain sweep)
#   halving    ASHA, eta 3, rungs at 1, 3, 9, 27 epochs, decided on the validation AUC
#   hyperband  ASHA in Hyperband's 4 brackets (starting at 1, 3, 9, 27 epochs)
#   random     36 trials drawn from the same values, each to 27 epochs, under
#              budget_usd = what halving spent
# Dollars are each search's spent_usd (search.json: its jobs' costs from their measured
# time) and, for the grid, the sum of its runs' cost.total_usd. Prints a markdown table on
# stdout (also bench/out/search/table.md); progress on stderr.
# Usage: bench/bench_search.sh [BUILD_DIR]   Environment: ROWS=60000 PARALLEL=1
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${1:-$root/build}" && pwd)   # absolute: the script works in its OUT
bin=$build/tradeoff
rows=${ROWS:-60000}
parallel=${PARALLEL:-1}
out=$here/out/search
mkdir -p "$out/data"
cd "$out"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
[[ -f data/fraud.h5 ]] || "$bin" gen --task classification --rows "$rows" --features 30 --informative 8 \
  --weights 0.97,0.03 --noise 0.02 --seed 11 --out data/fraud.h5 >&2
# the preset's space, one thread per run (the machine is shared: no spinning OpenMP pool)
sed -e "s|^job = .*|job = $root/configs/sweeps/fraud.ini|" -e "s|^parallel = .*|parallel = $parallel|" \
  -e 's|^early_stopping.enabled = false|early_stopping.enabled = false\noptimizer.threads = 1|' \
  "$root/configs/sweeps/search.ini" > halving.ini
sed -e 's|^search = halving|search = hyperband|' halving.ini > hyperband.ini
sed -e '/^search = /d; /^eta = /d; /^min_epochs = /d; /^max_epochs = /d; /^parallel = /d' halving.ini |
  sed -e 's|^\[grid\]|[grid]\noptimizer.epochs = 27|' > grid.ini
for s in grid halving hyperband; do
  echo "== $s" >&2
  rm -rf "runs-$s"
  /usr/bin/time -f "$s wall %e s" "$bin" sweep "$s.ini" --out "runs-$s" 2> "$s.log" || { tail -5 "$s.log" >&2; exit 1; }
  tail -1 "$s.log" >&2
done
budget=$(python3 -c "import json; print('%.9f' % json.load(open('runs-halving/search.json'))['spent_usd'])")
{
  sed -n '1,/^\[variant.logistic\]/p' halving.ini | sed -e '/^\[variant.logistic\]/d' \
    -e 's|^search = halving|search = random|' -e '/^eta = /d; /^min_epochs = /d'
  echo "trials = 36"
  echo "budget_usd = $budget"
  sed -n '/^\[variant.logistic\]/,/^\[grid\]/p' halving.ini | sed -e '/^\[grid\]/d'
  echo "[space]"
  sed -n '/^\[grid\]/,$p' halving.ini | sed -e '/^\[grid\]/d'
} > random.ini
echo "== random (budget \$$budget)" >&2
rm -rf runs-random
/usr/bin/time -f "random wall %e s" "$bin" sweep random.ini --out runs-random 2> random.log || { tail -5 random.log >&2; exit 1; }
tail -1 random.log >&2
python3 - "$out" <<'PY' | tee table.md
import json, sys, os
out = sys.argv[1]
def rows(s):
    return [json.loads(l) for l in open(os.path.join(out, f"runs-{s}", "results.jsonl"))]
def summary(s):
    p = os.path.join(out, f"runs-{s}", "search.json")
    return json.load(open(p)) if os.path.exists(p) else None
grid = rows("grid")
grid_usd = sum(r["cost"]["total_usd"] for r in grid)
grid_best = max(r["test"]["auc"] for r in grid)
print("| method | trials run | epochs trained | dollars | of the grid's | best test AUC (trials run to 27 epochs) | its gap to the grid's best | test AUC of the trial it picks (best validation AUC) |")
print("|---|---|---|---|---|---|---|---|")
for s in ("grid", "halving", "hyperband", "random"):
    rs = rows(s)
    full = [r for r in rs if r["epochs_run"] == 27]
    usd = grid_usd if s == "grid" else summary(s)["spent_usd"]
    best = max(r["test"]["auc"] for r in full) if full else float("nan")
    pick = max(full, key=lambda r: r["val"]["auc"])["test"]["auc"] if full else float("nan")
    epochs = sum(r["epochs_run"] for r in rs)
    extra = ""
    sm = summary(s)
    if sm and sm.get("budget_usd") is not None:
        extra = f" (budget ${sm['budget_usd']:.6f}; {len(sm['left_unrun'])} left unrun)"
    print(f"| {s}{extra} | {len(rs)} | {epochs} | ${usd:.6f} | {usd / grid_usd:.1%} | {best:.4f} | {grid_best - best:+.4f} | {pick:.4f} |")
for s in ("halving", "hyperband"):
    sm = summary(s)
    print(f"\n{s}: cost saved by pruning ${sm['cost_saved_by_pruning_usd']:.6f}; spent ${sm['spent_usd']:.6f}")
PY
