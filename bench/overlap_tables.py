#!/usr/bin/env python3
"""Tables of bench/bench_overlap.sh from its OUT directory (markdown on stdout): the
layouts side by side (best and mean samples/s of the REPEATS runs, ratios, rank 0's
communication share inside the epochs, from history.csv), the traced runs' step
periods, the best traced run of each kind (bench/mpi_trace_summary.py), the overlap
probe, and the projection to 8, 32 and 128 ranks (a model, not a measurement).

Usage: bench/overlap_tables.py OUT REPEATS     (standard library only)"""
import csv, json, sys
out, reps = sys.argv[1], int(sys.argv[2])
print(open(f"{out}/meta.txt").read())
rows = [("1x1", "1 rank x 1 thread"), ("1x2", "1 rank x 2 threads"),
        ("2x1-allreduce", "2 ranks x 1 thread, allreduce (sharded_update = false)"),
        ("2x1-sharded", "2 ranks x 1 thread, sharded update (the default)")]
res = {}
for key, _ in rows:
    runs = [json.load(open(f"{out}/runs/{key}-r{r}/result.json")) for r in range(1, reps + 1)]
    sps = [x["throughput"]["samples_per_s"] for x in runs]
    best = max(range(reps), key=lambda i: sps[i])
    b = runs[best]
    # rank 0's share inside the epochs (history.csv): time.comm_s also holds start-up's
    # collectives, which train_s does not
    hist = list(csv.DictReader(open(f"{out}/runs/{key}-r{best + 1}/history.csv")))
    share0 = sum(float(h["comm_s"]) for h in hist) / sum(float(h["epoch_s"]) for h in hist)
    res[key] = (max(sps), sum(sps) / reps, share0, b["test"]["accuracy"])
print("| layout | samples/s best | mean | best vs 1x2 best | vs 1x1 | comm share in the epochs, rank 0 (best run) | test accuracy |")
print("|---|---:|---:|---:|---:|---:|---:|")
for key, label in rows:
    best, mean, s0, acc = res[key]
    print(f"| {label} | {best:,.0f} | {mean:,.0f} | {best / res['1x2'][0]:.3f}x | {best / res['1x1'][0]:.2f}x | "
          f"{100 * s0:.1f}% | {acc:.4f} |")
import glob
def period(path):  # the slower rank's median step period
    return max(x["period_median_s"] for x in json.load(open(path))["steps"])
best_trace = {}
print("\n| traced 2x1 runs (interleaved) | step period, median us, each run (slower rank) | best | samples/s at the best period |")
print("|---|---|---:|---:|")
for kind in ("allreduce", "sharded"):
    runs = sorted(glob.glob(f"{out}/trace-{kind}-*.json"), key=lambda p: int(p.rsplit("-", 1)[1][:-5]))
    ps = [period(p) for p in runs]
    best_trace[kind] = runs[min(range(len(ps)), key=lambda i: ps[i])]
    print(f"| {kind} | {', '.join(f'{1e6 * x:.1f}' for x in ps)} | {1e6 * min(ps):.1f} | {256 / min(ps):,.0f} |")
for kind in ("allreduce", "sharded"):
    print(f"\n#### 2x1 {kind}, the traced run with the shortest period (bench/mpi_trace)\n")
    print(open(best_trace[kind][:-5] + ".md").read())
print("\n#### Overlap probe (bench_overlap_probe, 2 ranks, after a barrier each: no waiting for a late rank)\n")
print("```\n" + open(f"{out}/probe.txt").read() + "```")
# the projection (a model, not a measurement)
def step_med(name):
    st = json.load(open(f"{out}/{name}.json"))["steps"]
    return sum(x["median_s"] for x in st) / len(st)
name = lambda kind: best_trace[kind].rsplit("/", 1)[1][:-5]
c = {256: step_med("trace-b512"), 128: step_med(name("allreduce")), 32: step_med("trace-b64"),
     8: step_med("trace-b16"), 2: step_med("trace-b4")}
import re
m = re.search(r"all (\d+) parameters ([0-9.]+) us", open(f"{out}/probe.txt").read())
t_upd = float(m.group(2)) * 1e-6  # Adam over all parameters, 1 thread (the probe)
n_bytes = 99978 * 4
alpha, beta = 30e-6, 8 / 25e9
print("\n#### Projection to 8, 32 and 128 ranks (a model, not a measurement)\n")
print(f"Step compute per rank (median over steps, traced 2-rank runs at 2 x the rows per rank): "
      + ", ".join(f"{r} rows {1e6 * c[r]:.0f} us" for r in (256, 128, 32, 8, 2))
      + f"; of which the update (Adam over all parameters, 1 thread, bench_overlap_probe): {1e6 * t_upd:.0f} us, "
      "which the sharded update divides by the ranks. "
      "Communication: ring, 2(p-1)/p x 399,912 bytes x beta + 2(p-1) alpha, EC2 assumed 25 Gbit/s and "
      "alpha = 30 us (the reduce-scatter plus the allgather move what the allreduce moves; the 3-float "
      "sum is assumed hidden in the backward pass); 1 thread per rank; global batch 256.\n")
print("| ranks | rows per rank | compute us, allreduce | compute us, sharded | comm us | samples/s allreduce | samples/s sharded | speedup sharded vs 1 rank |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
base = 256 / c[256]
for p in (1, 2, 8, 32, 128):
    rows = 256 // p
    ca = c[rows]
    cs = ca - t_upd * (1 - 1 / p)
    comm = 0 if p == 1 else 2 * (p - 1) / p * n_bytes * beta + 2 * (p - 1) * alpha
    print(f"| {p} | {rows} | {1e6 * ca:.0f} | {1e6 * cs:.0f} | {1e6 * comm:.0f} | {256 / (ca + comm):,.0f} | "
          f"{256 / (cs + comm):,.0f} | {256 / (cs + comm) / base:.2f}x |")
for line in open(f"{out}/allreduce.csv"):
    if line.startswith("100365,") or line.startswith("floats"):
        print("bench_allreduce (2 ranks):", line.strip())
