#!/usr/bin/env python3
"""Summarizes the traces of bench/mpi_trace (DIR/rank.N.csv of one run) as a markdown
table on stdout: for every kind of collective (call and element count) and every rank,
the calls, the seconds spent in them, and of those the seconds spent waiting for the
last rank to enter (max over ranks of the k-th call's entry, minus this rank's entry:
load imbalance and noise) against the seconds after the last entry (the collective's
own work). The k-th blocking collective of every rank is the same call (MPI requires
it). Nonblocking starts and the Wait/Test calls that complete them are listed as they
are (their time is the exposed part of the overlapped collective). Then, per rank, the
time between consecutive gradient allreduces (the largest count, the one a step sums):
the step's compute, whose spread over ranks is what the other rank waits for; and the step
period (entry to entry of the gradient collective, all of the step: its median is the
critical path of a typical step, robust to the preemptions of a shared machine).

Usage: bench/mpi_trace_summary.py DIR [--json OUT]     (standard library only)"""
import csv
import glob
import json
import os
import statistics
import sys

BLOCKING = {"allreduce", "reduce_scatter", "reduce_scatter_block", "allgather", "allgatherv", "bcast", "gather",
            "alltoallv", "barrier"}
NONBLOCKING = {"iallreduce"}


def load(d):
    ranks = {}
    for path in glob.glob(os.path.join(d, "rank.*.csv")):
        r = int(path.rsplit(".", 2)[1])
        with open(path, newline="") as f:
            ranks[r] = [(row["call"], int(row["count"]), float(row["t_enter"]), float(row["t_exit"]))
                        for row in csv.DictReader(f)]
    return [ranks[r] for r in sorted(ranks)]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    ranks = load(d)
    if not ranks:
        sys.exit(f"mpi_trace_summary: no rank.*.csv in {d}")
    p = len(ranks)
    coll = [[e for e in evs if e[0] in BLOCKING] for evs in ranks]
    n = min(len(c) for c in coll)
    if any(len(c) != n for c in coll):
        print(f"warning: ranks made {[len(c) for c in coll]} blocking collectives", file=sys.stderr)
    # per kind (call, count of rank 0) and rank: calls, total, wait, work
    kinds = {}
    for k in range(n):
        last_in = max(c[k][2] for c in coll)
        key = (coll[0][k][0], coll[0][k][1])
        row = kinds.setdefault(key, [[0, 0.0, 0.0, 0.0, []] for _ in range(p)])
        for r in range(p):
            call, cnt, t0, t1 = coll[r][k]
            a = row[r]
            a[0] += 1
            a[1] += t1 - t0
            a[2] += max(0.0, last_in - t0)
            a[3] += t1 - max(last_in, t0)
            a[4].append(t1 - max(last_in, t0))
    other = {}
    for r, evs in enumerate(ranks):
        for call, cnt, t0, t1 in evs:
            if call not in BLOCKING:
                a = other.setdefault((call, cnt), [[0, 0.0] for _ in range(p)])
                a[r][0] += 1
                a[r][1] += t1 - t0
    span = [evs[-1][3] - evs[0][2] if evs else 0.0 for evs in ranks]
    # the step's gradient collective: the most frequent kind of more than 1,000 elements
    # (allreduce, or the sharded update's reduce-scatter), ties to the larger
    grad = max((k for k in kinds if k[1] > 1000 and k[0] in ("allreduce", "reduce_scatter")),
               key=lambda k: (kinds[k][0][0], k[1]), default=None)
    out = {"ranks": p, "span_s": span, "kinds": [], "nonblocking": [], "steps": []}
    print(f"ranks: {p}; traced span (first to last MPI call) per rank: "
          + ", ".join(f"{s:.3f} s" for s in span))
    print()
    print("| collective | elements | rank | calls | time s | waiting for the last rank s | after the last entry s | after the last entry, median us per call |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key in sorted(kinds, key=lambda k: -sum(a[1] for a in kinds[k])):
        for r, (c, tot, wait, work, works) in enumerate(kinds[key]):
            print(f"| {key[0]} | {key[1]:,} | {r} | {c} | {tot:.4f} | {wait:.4f} | {work:.4f} | {1e6 * statistics.median(works):.1f} |")
            out["kinds"].append({"call": key[0], "count": key[1], "rank": r, "calls": c, "time_s": tot,
                                 "wait_s": wait, "work_s": work})
    for key in sorted(other):
        for r, (c, tot) in enumerate(other[key]):
            print(f"| {key[0]} (nonblocking) | {key[1]:,} | {r} | {c} | {tot:.4f} | | | |")
            out["nonblocking"].append({"call": key[0], "count": key[1], "rank": r, "calls": c, "time_s": tot})
    if grad:
        print()
        print(f"Between consecutive gradient {grad[0]}s ({grad[1]:,} elements): the step's work outside MPI, per rank")
        print()
        print("| rank | steps | median us | p10 us | p90 us | mean us | step period, median us |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for r, evs in enumerate(ranks):
            gaps, periods, last, last_in, inner = [], [], None, None, 0.0
            for e in evs:  # in call order
                if e[0] == grad[0] and e[1] == grad[1]:
                    if last is not None:  # MPI time in between (other calls, waits) is not compute
                        gaps.append(e[2] - last - inner)
                        periods.append(e[2] - last_in)
                    last, last_in, inner = e[3], e[2], 0.0
                else:
                    inner += e[3] - e[2]
            # the epoch's boundaries (validation, metrics) are outliers, not steps
            cut = 10 * statistics.median(gaps) if gaps else 0.0
            gaps_s = [x for x in gaps if x < cut]
            if gaps_s:
                period = statistics.median(periods)
                print(f"| {r} | {len(gaps_s)} | {1e6 * statistics.median(gaps_s):.1f} | {1e6 * pct(gaps_s, 0.1):.1f} | "
                      f"{1e6 * pct(gaps_s, 0.9):.1f} | {1e6 * statistics.mean(gaps_s):.1f} | {1e6 * period:.1f} |")
                out["steps"].append({"rank": r, "steps": len(gaps_s), "median_s": statistics.median(gaps_s),
                                     "period_median_s": period,
                                     "p10_s": pct(gaps_s, 0.1), "p90_s": pct(gaps_s, 0.9),
                                     "mean_s": statistics.mean(gaps_s)})
    if len(sys.argv) > 3 and sys.argv[2] == "--json":
        with open(sys.argv[3], "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
