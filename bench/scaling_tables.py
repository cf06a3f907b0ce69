#!/usr/bin/env python3
"""Tables of issue 4's distributed-training figures from bench/bench_scaling.sh's output
directory, in markdown on stdout.

Measured: throughput of 1x1, 2x1, 1x2 (ranks x threads), the allreduce share of step
time, per-step compute against rows per rank, accuracy with early stopping at 1x1 and
2x1, and allreduce times on this machine.

Fitted: alpha (latency, s) and beta (s/byte) of the ring-allreduce model
    T(n, p) = 2 (p-1)/p * n * beta + 2 (p-1) * alpha        (n in bytes)
from the p = 2 timings (T = n beta + 2 alpha), by least squares on the relative error
(each size weighs the same, from 4 bytes to 16 MiB).

Projected (a model, not a measurement): with the global batch fixed at 256, p ranks of
1 thread each take 256/p rows per step; a step costs the measured compute of one rank on
256/p rows (1 rank x 1 thread at that batch size) plus T(gradient buffer, p), so
    epoch(p) = steps * (compute(256/p) + T(n_grad, p)),  speedup = epoch(1) / epoch(p),
    cost = rate * p * epochs * epoch(p)  (one c5.4xlarge per rank, training time only).

Usage: scaling_tables.py OUT_DIR [PRICING_INI]   (standard library only)
"""
import configparser
import csv
import json
import math
import os
import statistics
import sys

out = sys.argv[1]
pricing_ini = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "configs", "pricing.ini")
runs = os.path.join(out, "runs")
GLOBAL_BATCH = 256
GRAD_FLOATS = 100362 + 3  # MLP 256-256-128-10 parameters + loss, row count, stop flag
GRAD_BYTES = GRAD_FLOATS * 4


def load(name):
    r = json.load(open(os.path.join(runs, name, "result.json")))
    hist = csv.DictReader(open(os.path.join(runs, name, "history.csv")))
    r["_train_comm_s"] = sum(float(row["comm_s"]) for row in hist)
    return r


def runs_of(prefix):
    names = sorted(n for n in os.listdir(runs) if n.startswith(prefix + "-r") and
                   os.path.isfile(os.path.join(runs, n, "result.json")))
    return [load(n) for n in names]


def med(xs):
    return statistics.median(xs)


def steps_per_epoch(r, local_rows_per_step):
    ranks = r["parallel"]["ranks"]
    per_rank = math.ceil(r["data"]["train_rows"] / ranks)
    return math.ceil(per_rank / local_rows_per_step)


meta = {}
for line in open(os.path.join(out, "meta.txt")):
    k, _, v = line.partition(":")
    meta[k.strip()] = v.strip()
epochs_fixed = int(meta.get("epochs", 4))

print("Run of %s, commit %s: %s cores (`nproc`), %s, %s GB RAM, %s. Load average before "
      "%s, after %s." % (meta.get("date"), meta.get("commit"), meta.get("nproc"), meta.get("cpu"),
                         meta.get("mem_gb"), meta.get("mpi"), meta.get("load_before"),
                         meta.get("load_after")))
print()

# ---------------------------------------------------------------- 1. throughput
configs = [("(a)", "tp-1x1", "1 x 1"), ("(b)", "tp-2x1", "2 x 1"), ("(c)", "tp-1x2", "1 x 2"),
           ("(c')", "tp-1x2bound", "1 x 2, mpirun's default binding")]
tp = {}
for tag, prefix, label in configs:
    rs = runs_of(prefix)
    if rs:
        tp[prefix] = rs
base_sps = med([r["throughput"]["samples_per_s"] for r in tp["tp-1x1"]])
print("### Throughput, %d epochs, early stopping and checkpoints off (median of %d runs "
      "[min - max])" % (epochs_fixed, len(tp["tp-1x1"])))
print()
print("| run | ranks x threads | samples/s | train_s | speedup vs (a) | efficiency per core | "
      "comm_s rank 0: run [in epochs] | comm / train_s rank 0 | per-rank comm_s max / mean | "
      "per-rank compute_s max / mean |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
summary = {}
for tag, prefix, label in configs:
    rs = tp.get(prefix)
    if not rs:
        continue
    sps = [r["throughput"]["samples_per_s"] for r in rs]
    cores = rs[0]["parallel"]["ranks"] * rs[0]["parallel"]["threads_per_rank"]
    s = {
        "sps": med(sps), "train_s": med([r["time"]["train_s"] for r in rs]),
        "comm": med([r["time"]["comm_s"] for r in rs]),
        "tcomm": med([r["_train_comm_s"] for r in rs]),
        "share": med([r["_train_comm_s"] / r["time"]["train_s"] for r in rs]),
        "pc_max": med([r["parallel"]["per_rank"]["comm_s"]["max"] for r in rs]),
        "pc_mean": med([r["parallel"]["per_rank"]["comm_s"]["mean"] for r in rs]),
        "cp_max": med([r["parallel"]["per_rank"]["compute_s"]["max"] for r in rs]),
        "cp_mean": med([r["parallel"]["per_rank"]["compute_s"]["mean"] for r in rs]),
        "ranks": rs[0]["parallel"]["ranks"], "threads": rs[0]["parallel"]["threads_per_rank"],
        "n": len(rs), "r": rs,
    }
    summary[prefix] = s
    sp = s["sps"] / base_sps
    print("| %s | %s | %s [%s - %s] | %.2f | %.2fx | %.0f%% | %.3f [%.3f] | %.1f%% | %.3f / %.3f | "
          "%.2f / %.2f |" % (tag, label, "{:,.0f}".format(s["sps"]), "{:,.0f}".format(min(sps)),
                             "{:,.0f}".format(max(sps)), s["train_s"], sp, 100 * sp / cores,
                             s["comm"], s["tcomm"], 100 * s["share"], s["pc_max"], s["pc_mean"],
                             s["cp_max"], s["cp_mean"]))
print()
b, a = summary["tp-2x1"], summary["tp-1x1"]
sp_ba = b["sps"] / a["sps"]
print("Speedup (b)/(a) = %.2fx, efficiency %.0f%% (target >= 1.8x, 90%%: **%s**)." %
      (sp_ba, 50 * sp_ba, "met" if sp_ba >= 1.8 else "missed"))
if "tp-1x2" in summary:
    c = summary["tp-1x2"]
    print("(b)/(c), 2 ranks x 1 thread against 1 rank x 2 threads: %.2fx ((c) is %.2fx (a))." %
          (b["sps"] / c["sps"], c["sps"] / a["sps"]))
if "tp-1x2bound" in summary:
    print("(c') under mpirun's default binding (a lone rank is bound to one core, so its 2 "
          "threads share it): %.2fx (a)." % (summary["tp-1x2bound"]["sps"] / a["sps"]))
print()

# step decomposition of (b)
steps_b = steps_per_epoch(b["r"][0], GLOBAL_BATCH // b["ranks"])
steps_a = steps_per_epoch(a["r"][0], GLOBAL_BATCH)
nst_b, nst_a = steps_b * epochs_fixed, steps_a * epochs_fixed
print("Per step (%d steps per epoch; medians): (a) compute %.3f ms; (b) compute per rank "
      "%.3f ms mean / %.3f ms max, communication in the epochs on rank 0 %.3f ms (%.1f%% of "
      "(b)'s step, %.3f ms); per-rank comm_s of the whole run max / mean = %.3f / %.3f s." % (
          steps_a, 1e3 * a["cp_mean"] / nst_a, 1e3 * b["cp_mean"] / nst_b,
          1e3 * b["cp_max"] / nst_b, 1e3 * b["tcomm"] / nst_b, 100 * b["share"],
          1e3 * b["train_s"] / nst_b, b["pc_max"], b["pc_mean"]))
print()

# ---------------------------------------------------------------- 2. compute vs rows
step_c = {}  # rows per rank -> per-step compute s (1 rank x 1 thread)
step_c[GLOBAL_BATCH] = a["cp_mean"] / nst_a
print("### Per-step compute against rows per rank (1 rank x 1 thread unless said)")
print()
print("| rows per rank (ranks at global batch 256) | run | steps | compute_s | ms per step | rows/s |")
print("|---|---|---:|---:|---:|---:|")
print("| 256 (1) | (a), %d epochs, median | %d | %.2f | %.3f | %s |" % (
    epochs_fixed, nst_a, a["cp_mean"], 1e3 * step_c[256], "{:,.0f}".format(256 / step_c[256])))
for bs in (128, 32, 8, 2):
    p = os.path.join(runs, "step-b%d" % bs, "result.json")
    if not os.path.isfile(p):
        continue
    r = load("step-b%d" % bs)
    n = steps_per_epoch(r, bs) * r["epochs_run"]
    cs = r["parallel"]["per_rank"]["compute_s"]["mean"]
    step_c[bs] = cs / n
    print("| %d (%d) | batch_size %d, 1 epoch | %d | %.2f | %.3f | %s |" % (
        bs, GLOBAL_BATCH // bs, bs, n, cs, 1e3 * cs / n, "{:,.0f}".format(bs * n / cs)))
    if bs == 128:
        print("| 128 (2) | (b) 2 x 1, per rank mean / max, median | %d | %.2f / %.2f | %.3f / %.3f | %s |" % (
            nst_b, b["cp_mean"], b["cp_max"], 1e3 * b["cp_mean"] / nst_b, 1e3 * b["cp_max"] / nst_b,
            "{:,.0f}".format(128 * nst_b / b["cp_mean"])))
print()
print("compute_s is the epoch time less the time in collectives, so it includes each epoch's "
      "validation pass (20,000 rows, split over the ranks) and shuffle.")
print()

# ---------------------------------------------------------------- 3. accuracy
print("### Accuracy: configs/mlp.ini as is (early stopping on val_loss, patience 3, a "
      "checkpoint every epoch), one run each")
print()
print("| run | ranks x threads | cost.nodes | epochs_run | best_epoch | stop_reason | test accuracy "
      "| test log-loss | train_s | total_s | checkpoint_s | samples/s | cost.total_usd |")
print("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
acc = {}
for name in ("acc-1x1", "acc-2x1"):
    if not os.path.isfile(os.path.join(runs, name, "result.json")):
        continue
    r = load(name)
    acc[name] = r
    t = r["time"]
    print("| %s | %d x %d | %d | %d | %d | %s | %.4f | %.4f | %.2f | %.2f | %.3f | %s | %.6f |" % (
        name, r["parallel"]["ranks"], r["parallel"]["threads_per_rank"], r["cost"]["nodes"],
        r["epochs_run"], r["best_epoch"], r["stop_reason"], r["test"]["accuracy"],
        r["test"].get("log_loss", float("nan")), t["train_s"], t["total_s"], t["checkpoint_s"],
        "{:,.0f}".format(r["throughput"]["samples_per_s"]), r["cost"]["total_usd"]))
print()
if len(acc) == 2:
    d = 100 * (acc["acc-2x1"]["test"]["accuracy"] - acc["acc-1x1"]["test"]["accuracy"])
    print("Test accuracy 2x1 - 1x1 = %+.2f points (target within 0.5: **%s**). Rows: 1x1 "
          "train/val/test %d/%d/%d, 2x1 %d/%d/%d." % (
              d, "met" if abs(d) <= 0.5 else "missed",
              *(acc["acc-1x1"]["data"][k] for k in ("train_rows", "val_rows", "test_rows")),
              *(acc["acc-2x1"]["data"][k] for k in ("train_rows", "val_rows", "test_rows"))))
    print()

# ---------------------------------------------------------------- 4. allreduce + fit
ar = []
ar_head = ""
for line in open(os.path.join(out, "allreduce.csv")):
    if line.startswith("#"):
        ar_head = line[1:].strip()
        continue
    if line.startswith("floats"):
        continue
    f, nb, reps, m, mn, p90 = line.strip().split(",")
    ar.append((int(f), int(nb), int(reps), float(m), float(mn), float(p90)))
# minimize sum ((2 alpha + n beta - T) / T)^2: linear least squares in (alpha, beta)
s11 = s12 = s22 = r1 = r2 = 0.0
for f, nb, reps, m, mn, p90 in ar:
    x1, x2 = 2.0 / m, nb / m
    s11 += x1 * x1; s12 += x1 * x2; s22 += x2 * x2; r1 += x1; r2 += x2
det = s11 * s22 - s12 * s12
alpha = (r1 * s22 - r2 * s12) / det
beta = (s11 * r2 - s12 * r1) / det


def t_ring(nbytes, p, al, be):
    return 0.0 if p <= 1 else 2.0 * (p - 1) / p * nbytes * be + 2.0 * (p - 1) * al


print("### Allreduce on this machine (%s), median of the reps, the slowest rank's time per call" % ar_head)
print()
print("| floats | bytes | reps | median us | min us | p90 us | GB/s (bytes / median) | model us | model / measured |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for f, nb, reps, m, mn, p90 in ar:
    mod = t_ring(nb, 2, alpha, beta)
    print("| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
        "{:,}".format(f), "{:,}".format(nb), reps, 1e6 * m, 1e6 * mn, 1e6 * p90, nb / m / 1e9,
        1e6 * mod, mod / m))
print()
mlp_row = next((x for x in ar if x[0] == GRAD_FLOATS), None)
print("Fit (p = 2: T = n beta + 2 alpha, least squares on relative error over all %d sizes): "
      "**alpha = %.3f us, beta = %.4f ns/byte (%.2f GB/s)**." % (len(ar), 1e6 * alpha, 1e9 * beta,
                                                                   1e-9 / beta))
if mlp_row:
    print("At the MLP's buffer (%s floats, %s bytes): measured %.1f us median, model %.1f us." % (
        "{:,}".format(GRAD_FLOATS), "{:,}".format(GRAD_BYTES), 1e6 * mlp_row[3],
        1e6 * t_ring(GRAD_BYTES, 2, alpha, beta)))
print()

# ---------------------------------------------------------------- 5. projection
cfgp = configparser.ConfigParser(inline_comment_prefixes=(";",))
cfgp.read(pricing_ini)
rate = float(cfgp["instance.c5.4xlarge"]["usd_per_hour"])
steps = math.ceil(a["r"][0]["data"]["train_rows"] / GLOBAL_BATCH)
epochs_full = acc["acc-1x1"]["epochs_run"] if "acc-1x1" in acc else 10
nets = [
    ("this machine's shared memory (fitted)", alpha, beta),
    ("EC2, assumed 25 Gbit/s, alpha 30 us", 30e-6, 8 / 25e9),
    ("EC2, assumed 10 Gbit/s, alpha 30 us", 30e-6, 8 / 10e9),
]
t1 = steps * step_c[GLOBAL_BATCH]
print("### PROJECTION (alpha-beta model of ring allreduce; not a measurement)")
print()
print("Global batch 256, 1 thread per rank, one c5.4xlarge (%.2f $/h, configs/pricing.ini) per "
      "rank; %d steps per epoch; compute per step = the measured 1 x 1 compute at 256/p rows "
      "(table above); allreduce = 2(p-1)/p x %s bytes x beta + 2(p-1) x alpha; cost = rate x p x "
      "%d epochs (the 1 x 1 early-stopped run's count) x epoch time (training only, no start-up)." % (
          rate, steps, "{:,}".format(GRAD_BYTES), epochs_full))
print()
print("| network | ranks | rows per rank | compute ms/step | allreduce ms/step | step ms | "
      "samples/s | speedup | efficiency | $ for %d epochs | $ vs 1 rank |" % epochs_full)
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
cost1 = rate / 3600 * epochs_full * t1
for label, al, be in nets:
    for p in (1, 2, 8, 32, 128):
        rows = GLOBAL_BATCH // p
        if rows not in step_c:
            continue
        c = step_c[rows]
        ta = t_ring(GRAD_BYTES, p, al, be)
        ep = steps * (c + ta)
        sp = t1 / ep
        cost = rate / 3600 * p * epochs_full * ep
        print("| %s | %d | %d | %.3f | %.3f | %.3f | %s | %.2fx | %.0f%% | %.5f | %.1fx |" % (
            label, p, rows, 1e3 * c, 1e3 * ta, 1e3 * (c + ta),
            "{:,.0f}".format(a["r"][0]["data"]["train_rows"] / ep), sp, 100 * sp / p, cost,
            cost / cost1))
print()
lat = []
for label, al, be in nets[1:2]:
    for p in (8, 32, 128):
        c = step_c.get(GLOBAL_BATCH // p)
        if c is None:
            continue
        ring = t_ring(GRAD_BYTES, p, al, be)
        rd = 2 * (p - 1) / p * GRAD_BYTES * be + 2 * math.log2(p) * al
        lat.append("%d ranks: %.2fx (ring %.2fx)" % (p, step_c[256] / (c + rd),
                                                     step_c[256] / (c + ring)))
print("Same EC2 25 Gbit/s assumption with a latency term of 2 log2(p) alpha (recursive "
      "halving/doubling, as MPI libraries use for mid-size messages) instead of the ring's "
      "2(p-1) alpha: " + "; ".join(lat) + ".")
print()
if 128 in step_c:
    mp = t_ring(GRAD_BYTES, 2, alpha, beta)
    print("Model check at 2 ranks (this machine): projected %.2fx from the 1-rank compute at "
          "128 rows; with (b)'s own per-rank compute (%.3f ms/step mean) %.2fx; measured %.2fx." % (
              step_c[256] / (step_c[128] + mp), 1e3 * b["cp_mean"] / nst_b,
              step_c[256] / (b["cp_mean"] / nst_b + mp), sp_ba))
