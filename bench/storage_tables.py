#!/usr/bin/env python3
"""Markdown tables of bench/bench_storage.sh from OUT/runs/*/io.json, OUT/runs/*.args
(the job file and io-bench options of each run) and OUT/direct/*.txt (read_direct).

The fidelity predictions are worked out here, by hand, from the documented models (the
header comments of io/backends/*.c) and the parameters each run used: configs/storage.ini's
defaults, then the job file's [storage] keys, then the run's --set options. With T read
threads issuing reads of S bytes (S = bytes_read / read_ops: one HDF5 chunk per read):
  s3   each GET of S <= s3.range_mib holds one of C = s3.connections for
       L + S/B (first byte + streaming at s3.mb_per_s_per_connection); at most min(T, C)
       in flight: min(T, C) * S / (L + S/B), capped by the instance NIC share
       (s3.instance_gbps / 8) and the prefix rate (s3.get_per_s_per_prefix * S);
  efs  two FCFS links, the client's (efs.per_client_mib_s, default 1500 MiB/s elastic,
       500 otherwise) and the file system's (elastic_mib_s | provisioned_mib_s |
       bursting: the burst rate while credits last, else the baseline
       max(baseline_kib_s_per_gib * stored GiB, 1 MiB/s), over efs.read_meter for reads
       outside elastic mode); each op first pays
       efs.latency_ms: r = min(client, fs), and T threads reach min(r, T*S/(lat + S/r));
  fsx  loaded data at mb_per_s_per_tib (or the deployment's) x capacity_tib MB/s, each op
       first paying fsx.latency_ms: r = that, min(r, T*S/(lat + S/r)).
Standard library only. Usage: storage_tables.py OUT ROOT"""
import configparser
import json
import os
import statistics
import sys

MIB = 1048576.0
GIB = 1073741824.0


def load_ini(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None,
                                   strict=False)
    cp.optionxform = str
    cp.read(path)
    return cp


def run_params(out, root, name):
    """Effective [storage] and [workload] keys of run `name`, and its clock."""
    with open(os.path.join(out, "runs", name + ".args")) as f:
        args = [line.rstrip("\n") for line in f]
    job, opts = args[0], args[1:]
    p = dict(load_ini(os.path.join(root, "configs", "storage.ini"))["storage"])
    jp = load_ini(job if os.path.isabs(job) else os.path.join(root, job))
    for sec in ("storage", "workload", "data"):
        if jp.has_section(sec):
            for k, v in jp[sec].items():
                p[k if sec == "storage" else sec + "." + k] = v
    clock = "real"
    i = 0
    while i < len(opts):
        if opts[i] == "--set":
            k, v = opts[i + 1].split("=", 1)
            sec, key = k.split(".", 1)
            p[key if sec == "storage" else sec + "." + key] = v
            i += 2
        elif opts[i] == "--clock":
            clock = opts[i + 1]
            i += 2
        else:
            i += 1
    return p, clock


def io(out, name):
    with open(os.path.join(out, "runs", name, "io.json")) as f:
        return json.load(f)


def f(p, k):
    v = p.get(k, "")
    return float(v) if v.strip() != "" else None


def predict(p, S, data_bytes):
    """(bytes/s, formula text) of the model's steady state."""
    T = int(p["read_threads"])
    b = p["backend"]
    if b == "s3":
        C, L = int(p["s3.connections"]), f(p, "s3.first_byte_ms") / 1e3
        B = f(p, "s3.mb_per_s_per_connection") * 1e6
        assert S <= f(p, "s3.range_mib") * MIB, "one GET per read assumed"
        conc = min(T, C)
        conn = conc * S / (L + S / B)
        nic = f(p, "s3.instance_gbps") * 1e9 / 8
        prefix = f(p, "s3.get_per_s_per_prefix") * S
        r = min(conn, nic, prefix)
        if r == conn:
            txt = "%d x S / (%.0f ms + S / %.0f MB/s)" % (conc, L * 1e3, B / 1e6)
        elif r == nic:
            txt = "NIC %.3g Gbit/s / 8 (connections could do %.0f MB/s)" % (f(p, "s3.instance_gbps"), conn / 1e6)
        else:
            txt = "prefix %.0f GET/s x S" % f(p, "s3.get_per_s_per_prefix")
        return r, txt
    if b == "efs":
        mode, lat = p["efs.mode"], f(p, "efs.latency_ms") / 1e3
        client = (f(p, "efs.per_client_mib_s") or (1500 if mode == "elastic" else 500)) * MIB
        if mode == "elastic":
            fs, what = f(p, "efs.elastic_mib_s") * MIB, "elastic %.0f MiB/s" % f(p, "efs.elastic_mib_s")
        elif mode == "provisioned":
            fs, what = f(p, "efs.provisioned_mib_s") * MIB, "provisioned %.0f MiB/s" % f(p, "efs.provisioned_mib_s")
        else:
            stored = f(p, "efs.stored_gib") or data_bytes / GIB
            base = max(f(p, "efs.baseline_kib_s_per_gib") * 1024 * stored, MIB)
            burst = max(f(p, "efs.burst_mib_s") * MIB, 100 * MIB * stored / 1024)
            if f(p, "efs.burst_credits_gib") == 0:
                fs = base
                what = "baseline %.0f KiB/s/GiB x %.0f GiB (0 credits)" % (f(p, "efs.baseline_kib_s_per_gib"), stored)
            else:
                fs, what = burst, "burst %.0f MiB/s" % (burst / MIB)
        if mode != "elastic":  # reads are metered at efs.read_meter (a third): they move 3x faster
            meter = f(p, "efs.read_meter")
            fs, what = fs / meter, what + " / read meter %.3g" % meter
        r = min(client, fs)
        closed = T * S / (lat + S / r)
        txt = "min(client %.0f, %s) MiB/s" % (client / MIB, what)
        if closed < r:
            txt += ", %d threads x S / (%.2f ms + S/r)" % (T, lat * 1e3)
        return min(r, closed), txt
    if b == "fsx":
        dep = p["fsx.deployment"]
        per_tib = f(p, "fsx.mb_per_s_per_tib") or (200.0 if dep == "SCRATCH_2" else float(dep.rsplit("_", 1)[1]))
        cap = f(p, "fsx.capacity_tib")
        if not cap:
            cap = 1.2
            while cap * 1024 ** 4 < data_bytes:
                cap += 2.4
        lat = f(p, "fsx.latency_ms") / 1e3
        r = per_tib * 1e6 * cap
        closed = T * S / (lat + S / r)
        txt = "%s %.0f MB/s/TiB x %.1f TiB" % (dep, per_tib, cap)
        return min(r, closed), txt
    raise ValueError(b)


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, n)) for n in os.listdir(path))


def fidelity(out, root):
    names = sorted({n[4:-len("-real.args")] for n in os.listdir(os.path.join(out, "runs"))
                    if n.startswith("fid-") and n.endswith("-real.args")},
                   key=lambda n: ["s3", "s3-nic", "efs-elastic", "efs-provisioned", "efs-bursting0", "fsx"].index(n)
                   if n in ["s3", "s3-nic", "efs-elastic", "efs-provisioned", "efs-bursting0", "fsx"] else 99)
    print("### 1. Fidelity: real-clock throughput against the model's analytic figure (target: within 5%)\n")
    print("| case | S (bytes per read) | model | predicted MB/s | real MB/s | error | virtual MB/s | within 5% |")
    print("|---|---:|---|---:|---:|---:|---:|---|")
    for n in names:
        p, _ = run_params(out, root, "fid-%s-real" % n)
        r, v = io(out, "fid-%s-real" % n), io(out, "fid-%s-virtual" % n)
        S = r["bytes_read"] / r["storage"]["read_ops"]
        pred, txt = predict(p, S, dir_bytes(p["data.train"]))
        per_epoch = r["bytes_read"] / len(r["epoch_s"])

        def rate(d):
            e = d["epoch_s"]
            # fsx: the epochs after the first (lazy-loading) one
            e = e[1:] if p["backend"] == "fsx" and len(e) > 1 else e
            return per_epoch * len(e) / sum(e)

        real, virt = rate(r), rate(v)
        err = (real / pred - 1) * 100
        label = n + (" (epochs 2-%d)" % len(r["epoch_s"]) if p["backend"] == "fsx" else "")
        print("| %s | %.0f | %s | %.2f | %.2f | %+.2f%% | %.2f | %s |" % (
            label, S, txt, pred / 1e6, real / 1e6, err,
            virt / 1e6, "met" if abs(err) <= 5 else "**missed**"))
    print()


def cv_tables(out):
    backends = ["local", "efs", "fsx", "s3"]
    R = {b: io(out, "cv-%s-real" % b) for b in backends}
    V = {b: io(out, "cv-%s-virtual" % b) for b in backends}
    print("### 2. Virtual vs real clock, configs/storage-cv.ini (4,096 files), per epoch (target: within 10%)\n")
    print("| backend | real epoch s | virtual epoch s | worst epoch difference | real total s | virtual total s | within 10% |")
    print("|---|---|---|---:|---:|---:|---|")
    for b in backends:
        re, ve = R[b]["epoch_s"], V[b]["epoch_s"]
        worst = max(((x / y - 1) * 100 for x, y in zip(ve, re)), key=abs)
        print("| %s | %s | %s | %+.1f%% | %.3f | %.3f | %s |" % (
            b, ", ".join("%.3f" % x for x in re), ", ".join("%.3f" % x for x in ve), worst, sum(re), sum(ve),
            "met" if abs(worst) <= 10 else "**missed**"))
    print()
    print("### 3. FSx lazy loading, the same real-clock runs: seconds per epoch\n")
    s3e, fse, loc = R["s3"]["epoch_s"], R["fsx"]["epoch_s"], R["local"]["epoch_s"]
    print("| epoch | s3 | fsx | fsx / s3 | local (compute-bound floor) | fsx / local |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, (a, b, c) in enumerate(zip(s3e, fse, loc)):
        print("| %d | %.3f | %.3f | %.3f | %.3f | %.3f |" % (i + 1, a, b, b / a, c, b / c))
    print("\nfsx: %d lazy-loading GETs (%.1f MB from S3), %d cache hits; s3: %d GETs.\n" % (
        R["fsx"]["requests"], R["fsx"]["storage"]["lazy_loaded_bytes"] / 1e6, R["fsx"]["cache_hits"],
        R["s3"]["requests"]))
    print("### Classic case: configs/storage-cv.ini on the real clock (g4dn.xlarge, 3 epochs)\n")
    print("| backend | epoch s | total s | AU % (mean) | meets 90% | requests | total_usd (io.json) |")
    print("|---|---|---:|---:|---|---:|---:|")
    for b in backends:
        d = R[b]
        print("| %s | %s | %.2f | %.1f | %s | %d | %.6f |" % (
            b, ", ".join("%.3f" % x for x in d["epoch_s"]), d["total_s"], d["train_au_mean_percentage"],
            d["train_au_meet_expectation"], d["requests"], d["cost"]["total_usd"]))
    s3, fsx = R["s3"], R["fsx"]
    print("\nS3 / FSx: time %.2fx (total_s %.2f / %.2f), cost %.2fx ($%.6f / $%.6f).\n" % (
        s3["total_s"] / fsx["total_s"], s3["total_s"], fsx["total_s"],
        s3["cost"]["total_usd"] / fsx["cost"]["total_usd"], s3["cost"]["total_usd"], fsx["cost"]["total_usd"]))


def overhead(out):
    ddir = os.path.join(out, "direct")
    if not os.path.isdir(ddir):
        return

    def kv(path):
        with open(path) as fh:
            return dict(t.split("=", 1) for t in fh.read().split())

    def direct(prefix):
        rs = [kv(os.path.join(ddir, n)) for n in sorted(os.listdir(ddir)) if n.startswith(prefix)]
        if not rs:
            return None
        b = float(rs[0]["bytes_per_pass"])
        return b, min(float(r["best_s"]) for r in rs), statistics.median(float(r["median_s"]) for r in rs), len(rs)

    def loader(prefix):
        runs = [n for n in os.listdir(os.path.join(out, "runs"))
                if n.startswith(prefix) and not n.endswith((".args", ".log"))]
        if not runs:
            return None
        ep, b = [], 0
        for n in runs:
            d = io(out, n)
            b = d["bytes_read"] / len(d["epoch_s"])
            ep += d["epoch_s"][1:]  # the first epoch allocates the batch buffers
        return b, min(ep), statistics.median(ep), len(runs)

    print("### 4. Loader overhead on `local` (target: under 3% against reading the files directly)\n")
    print("| page cache filled by | reader | runs | best s per pass | median s | MB/s best | MB/s median | time vs direct (best) | (median) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    verdicts = []
    for state in ("read", "written"):
        rows = [("plain pread loop into the batch buffer (read_direct direct)", direct("%s-direct-" % state)),
                ("pread into a staging buffer + memcpy into the batch (read_direct copy)", direct("%s-copy-" % state)),
                ("**io-bench local: the loader, read_threads=1, prefetch=0**", loader("ovh-%s-loader-" % state)),
                ("the same, clock_nanosleep skipped when its deadline has passed (shim)", loader("ovh-%s-shim-" % state)),
                ("the same (shim) with prefetch=2", loader("ovh-%s-shimpf2-" % state))]
        base = rows[0][1]
        if not base:
            continue
        for label, r in rows:
            if not r:
                continue
            b, best, med, n = r
            print("| %s | %s | %d | %.4f | %.4f | %.0f | %.0f | %+.1f%% | %+.1f%% |" % (
                state, label, n, best, med, b / 1e6 / best, b / 1e6 / med, (best / base[1] - 1) * 100,
                (med / base[2] - 1) * 100))
        lb = rows[2][1]
        if lb:
            ov = (lb[2] / base[2] - 1) * 100
            verdicts.append("%s: %+.1f%% (%s; %.1f ms more per %.0f MB pass)" % (
                state, ov, "met" if ov < 3 else "**missed**", (lb[2] - base[2]) * 1e3, lb[0] / 1e6))
    print("\nLoader overhead, median time per pass against read_direct direct (target < 3%%): %s.\n"
          % "; ".join(verdicts))


def au(out):
    print("### 5. AU on `local`, compute-bound (0.02 s of compute per 4 MiB batch, 64 batches per epoch; target >= 99% with prefetch >= 2)\n")
    print("| backend | read_threads | prefetch | AU % per epoch | train_au_mean_percentage | io_wait_s per epoch | >= 99% |")
    print("|---|---:|---:|---|---:|---|---|")
    names = ["au-local-rt%d-pf%d" % (rt, pf) for rt in (4, 2) for pf in (0, 1, 2, 4)] + ["au-null-pf2"]
    for n in names:
        if not os.path.exists(os.path.join(out, "runs", n, "io.json")):
            continue
        d = io(out, n)
        w = d["workload"]
        m = d["train_au_mean_percentage"]
        print("| %s | %d | %d | %s | %.2f | %s | %s |" % (
            d["backend"], w["read_threads"], w["prefetch"], ", ".join("%.2f" % x for x in d["train_au_percentage"]), m,
            ", ".join("%.4f" % x for x in d["io_wait_s"]),
            ("met" if m >= 99 else "**missed**") if w["prefetch"] >= 2 and d["backend"] == "local" else "-"))
    print()


def imagenet(out):
    runs = [io(out, "in-" + b) for b in ("s3", "efs", "fsx")
            if os.path.exists(os.path.join(out, "runs", "in-" + b, "io.json"))]
    if not runs:
        return
    w0, c0 = runs[0]["workload"], runs[0]["cost"]
    print("### ImageNet projection: configs/storage-imagenet.ini on the virtual clock (%d ranks on %d %s, rank 0 simulated)\n"
          % (w0["ranks"], c0["nodes"], c0["instance"]))
    print("| backend | shuffle | epoch s | AU %% | compute_usd | storage_usd | requests_usd (all %d ranks) | total_usd (io.json) |" % w0["ranks"])
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for d in runs:
        c = d["cost"]
        print("| %s | %s | %s | %.1f | %.3f | %.4f | %.4f | %.3f |" % (
            d["backend"], d["workload"]["shuffle"], ", ".join("%.1f" % x for x in d["epoch_s"]), d["train_au_mean_percentage"],
            c["compute_usd"], c["storage_usd"], c["requests_usd"], c["total_usd"]))
    print()


def main():
    out, root = sys.argv[1], sys.argv[2]
    meta = os.path.join(out, "meta.txt")
    if os.path.exists(meta):
        with open(meta) as fh:
            print("<!-- " + " | ".join(l.strip() for l in fh) + " -->\n")
    fidelity(out, root)
    cv_tables(out)
    overhead(out)
    au(out)
    imagenet(out)


if __name__ == "__main__":
    main()
