"""Markdown tables for bench/bench_train.sh (issue 3), from the files it left in OUT:

  sk_logit.json, sk_mlp.json, torch_mlp.json        the peers (bench/peers/*.py)
  sgemm.txt                                          bench_sgemm's key=value lines
  runs/NAME/result.json, runs/NAME.rc, .stderr       our `tradeoff train` runs
  runs/NAME.check.json                               check_preds.py on our predictions
  jobs/NAME.ini                                      our job files

Anything missing or failed prints as "n/a" with the reason (for our runs: the exit code
and the error line from stderr).

Usage: tables.py OUT REPEATS
"""
import configparser
import csv
import json
import os
import statistics
import sys

OUT = sys.argv[1]
REPEATS = int(sys.argv[2])
NA = "n/a"


def jload(name):
    try:
        with open(os.path.join(OUT, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def f(v, fmt):
    return NA if v is None else format(v, fmt)


def job_value(name, section, key):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    cp.read(os.path.join(OUT, "jobs", name + ".ini"))
    return cp.get(section, key, fallback=None)


def ours(name):
    """(result dict or None, reason string when there is no result)."""
    rcf = os.path.join(OUT, "runs", name + ".rc")
    if not os.path.exists(rcf):
        return None, "not run"
    rc = open(rcf).read().strip()
    err = ""
    try:
        lines = [l.strip() for l in open(os.path.join(OUT, "runs", name + ".stderr")) if l.strip()]
        err = lines[-1] if lines else ""
    except OSError:
        pass
    if rc != "0":
        why = "timed out" if rc == "124" else f"exit {rc}"
        return None, f"{why}: {err}" if err else why
    r = jload(os.path.join("runs", name, "result.json"))
    return (r, "") if r else (None, "exit 0 but no result.json")


def met(ok):
    return NA if ok is None else ("**met**" if ok else "**missed**")


odd = []  # things in our result.json worth a second look


def check_result(name, r):
    """Consistency checks on one result.json; appends to `odd`."""
    if not r:
        return
    job = name.split(".")[0]
    es_on = (job_value(job, "early_stopping", "enabled") or "true").lower() == "true"
    sv = get(r, "cost", "saved_by_early_stop_usd")
    if not es_on and sv:
        odd.append(f"{name}: early stopping is disabled, yet cost.saved_by_early_stop_usd = "
                   f"{sv:.6g} ({get(r, 'cost', 'epochs_saved_by_early_stop')} epochs; "
                   f"stop_reason {r.get('stop_reason')})")
    if not es_on and r.get("best_epoch") not in (None, r.get("epochs_run")):
        odd.append(f"{name}: early stopping is disabled (nothing restored), yet best_epoch = "
                   f"{r.get('best_epoch')} of epochs_run {r.get('epochs_run')}")
    t = r.get("time", {})
    thr = get(r, "throughput", "samples_per_s")
    er, tr, ts = r.get("epochs_run"), get(r, "data", "train_rows"), t.get("train_s")
    if None not in (thr, er, tr, ts) and ts > 0:
        expect = er * tr / ts
        if abs(thr - expect) > 0.01 * expect:
            odd.append(f"{name}: throughput.samples_per_s {thr:.0f} != epochs_run x train_rows "
                       f"/ train_s = {expect:.0f}")
    if None not in (t.get("total_s"), ts) and ts > t["total_s"]:
        odd.append(f"{name}: time.train_s {ts:.3f} > time.total_s {t['total_s']:.3f}")
    parts = [t.get(k) or 0 for k in ("compute_s", "io_wait_s", "comm_s", "checkpoint_s")]
    if ts and sum(parts) > ts * 1.01:
        odd.append(f"{name}: compute+io_wait+comm+checkpoint = {sum(parts):.3f} s > train_s {ts:.3f} s")
    chk = jload(os.path.join("runs", name + ".check.json"))
    if chk:
        for key, ours_key in (("auc", "auc"), ("accuracy", "accuracy")):
            a, b = chk.get(key), get(r, "test", ours_key)
            if a is not None and b is not None and abs(a - b) > 1e-4:
                odd.append(f"{name}: test.{ours_key} {b:.5f} in result.json, but sklearn on "
                           f"`tradeoff predict`'s output gives {a:.5f}")
        if chk.get("error"):
            odd.append(f"{name}: predict check: {chk['error']}")
    if r.get("epochs_run") is not None and r.get("best_epoch") is not None \
            and r["best_epoch"] > r["epochs_run"]:
        odd.append(f"{name}: best_epoch {r['best_epoch']} > epochs_run {r['epochs_run']}")
    try:
        with open(os.path.join(OUT, "runs", name, "history.csv")) as h:
            cols = h.readline().strip().split(",")
        dup = sorted({c for c in cols if cols.count(c) > 1})
        if dup:
            odd.append(f"{name}: history.csv header repeats column(s) {', '.join(dup)}: "
                       f"`{','.join(cols)}`")
    except OSError:
        odd.append(f"{name}: no history.csv")
    if get(r, "storage", "backend") == "local" and get(r, "storage", "bytes_read") == 0:
        odd.append(f"{name}: storage.bytes_read is 0 for the local backend (the data was read)")


def data_check(name, r, n_train, n_test, val=False):
    if not r or n_train is None:
        return
    d = r.get("data", {})
    tr = (d.get("train_rows") or 0) + (d.get("val_rows") or 0)
    if tr != n_train or d.get("test_rows") != n_test:
        odd.append(f"{name}: train+val rows {tr}, test rows {d.get('test_rows')}; the shared "
                   f"split has {n_train} / {n_test}")


# ---------------------------------------------------------------- sgemm
sg = []
try:
    for line in open(os.path.join(OUT, "sgemm.txt")):
        if line.startswith(("shape=", "lib=")):
            d = dict(kv.split("=", 1) for kv in line.split())
            d.setdefault("lib", "openblas")
            sg.append(d)
except OSError:
    pass
peak, peak_dnnl = {}, {}
for s in sg:
    if s["shape"] == "square":
        (peak if s["lib"] == "openblas" else peak_dnnl)[int(s["threads"])] = float(s["best_gflops"])
threads = int(os.environ.get("THREADS", "2"))
peak_t, peak_dnnl_t = peak.get(threads), peak_dnnl.get(threads)

# ---------------------------------------------------------------- 1. logistic
sk = jload("sk_logit.json") or {}
print("### Logistic baseline\n")
n_train, n_test = sk.get("n_train"), sk.get("n_test")
print(f"Data: {n_train if n_train else NA} train / {n_test if n_test else NA} test rows x "
      f"{sk.get('features', NA)} features, 5% positives, shared stratified split. "
      f"Seconds are the median of {REPEATS} runs (best in brackets) for sklearn, LIBLINEAR "
      f"and our lbfgs; one run for our adam.\n")
print("| tool | solver | timed s (median [best]) | our total_s | iterations / epochs | "
      "test ROC-AUC | AUC - sklearn | test log-loss |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
s1 = sk.get("sklearn")
sk_auc = get(s1, "test_auc")
if s1:
    print(f"| sklearn 1.2 LogisticRegression | lbfgs, C=1 (fit) | {s1['fit_s_median']:.3f} "
          f"[{s1['fit_s_best']:.3f}] | | {s1['n_iter']} it | {s1['test_auc']:.5f} | 0 | "
          f"{s1['test_log_loss']:.5f} |")
else:
    print(f"| sklearn 1.2 LogisticRegression | lbfgs | {NA} | | | | | |")
ll = sk.get("liblinear")
if ll:
    print(f"| LIBLINEAR `-s 0 -B 1 -c 1` | trust-region Newton, 1 thread (train command) | "
          f"{ll['train_s_median']:.3f} [{ll['train_s_best']:.3f}] | | | {ll['test_auc']:.5f} | "
          f"{ll['test_auc'] - sk_auc:+.5f} | {ll['test_log_loss']:.5f} |")
else:
    print(f"| LIBLINEAR | -s 0 | {NA} | | | | | |")

lb_runs = [ours(f"logit_lbfgs.{i}") for i in range(1, REPEATS + 1)]
lb_ok = [r for r, _ in lb_runs if r]
lb = lb_ok[-1] if lb_ok else None
lb_train = [r["time"]["train_s"] for r in lb_ok]
lb_total = [r["time"]["total_s"] for r in lb_ok]
check_result("logit_lbfgs.1", lb_runs[0][0])  # the other runs repeat it for the timing
data_check("logit_lbfgs", lb, n_train, n_test)
if lb:
    print(f"| tradeoff | {get(lb, 'model', 'optimizer') or 'lbfgs'}, l2 = 1/n_train (train_s) | {statistics.median(lb_train):.3f} "
          f"[{min(lb_train):.3f}] | {statistics.median(lb_total):.3f} | {lb['epochs_run']} it "
          f"({lb['stop_reason']}) | {lb['test']['auc']:.5f} | "
          f"{f(lb['test']['auc'] - sk_auc if sk_auc else None, '+.5f')} | "
          f"{lb['test']['log_loss']:.5f} |")
else:
    print(f"| tradeoff | lbfgs | {NA} ({lb_runs[0][1]}) | | | | | |")
ad, why = ours("logit_adam")
check_result("logit_adam", ad)
data_check("logit_adam", ad, n_train, n_test)
if ad:
    print(f"| tradeoff | {get(ad, 'model', 'optimizer') or 'adam'} lr 0.001, batch 256, "
          f"early stop (train_s) | "
          f"{ad['time']['train_s']:.3f} | {ad['time']['total_s']:.3f} | {ad['epochs_run']} ep "
          f"(best {ad['best_epoch']}, {ad['stop_reason']}) | {ad['test']['auc']:.5f} | "
          f"{f(ad['test']['auc'] - sk_auc if sk_auc else None, '+.5f')} | "
          f"{ad['test']['log_loss']:.5f} |")
else:
    print(f"| tradeoff | adam | {NA} ({why}) | | | | | |")

ratio = statistics.median(lb_train) / s1["fit_s_median"] if lb and s1 else None
ratio_b = min(lb_train) / s1["fit_s_best"] if lb and s1 else None
dauc = abs(lb["test"]["auc"] - sk_auc) if lb and sk_auc else None
print(f"\nTargets: our lbfgs train_s / sklearn fit = {f(ratio, '.3f')} median, {f(ratio_b, '.3f')} "
      f"best (target <= 0.2: median {met(None if ratio is None else ratio <= 0.2)}, best "
      f"{met(None if ratio_b is None else ratio_b <= 0.2)}); |AUC - sklearn's| = {f(dauc, '.5f')} "
      f"(target <= 0.002: {met(None if dauc is None else dauc <= 0.002)}).")
lb_obj = get(jload("runs/logit_lbfgs.1.check.json"), "train_objective")
if s1:
    gap = f"; ours (run 1, at the weights in model.h5) {lb_obj:.7f}, " \
          f"{(lb_obj - s1['train_objective']) / s1['train_objective']:+.1e} relative" if lb_obj else ""
    print(f"Training objective (mean log-loss + 0.5/n_train ||w||^2): sklearn "
          f"{s1['train_objective']:.7f}{gap}.")

# ---------------------------------------------------------------- 2. MLP, on each data set
def mlp_section(title, sk_name, torch_name, run):
    """The MLP table of one data set: the peers' JSON files and our run RUN."""
    skm, tm = jload(sk_name), jload(torch_name)
    ml, why_ml = ours(run)
    check_result(run, ml)
    mn_train = (skm or tm or {}).get("n_train")
    mn_test = (skm or tm or {}).get("n_test")
    data_check(run, ml, mn_train, mn_test)
    D, H1, H2, C = 256, 256, 128, 10
    if ml:
        D, C = get(ml, "data", "features") or D, get(ml, "data", "classes") or C
    fwd = 2 * (D * H1 + H1 * H2 + H2 * C)
    bwd = 2 * (D * H1 + H1 * H2 + H2 * C) + 2 * (H1 * H2 + H2 * C)
    fps = fwd + bwd
    print(f"\n### MLP (256-128, relu, adam), {title}\n")
    print(f"Data: {mn_train or NA} train / {mn_test or NA} test rows x {D} features, {C} classes, "
          f"shared stratified split; each tool holds out 10% of train for validation. "
          f"GFLOP/s = samples/s x {fps:,} FLOPs per sample (forward 2*({D}*{H1} + {H1}*{H2} + "
          f"{H2}*{C}) = {fwd:,}; backward {bwd:,} = weight gradients 2*({D}*{H1} + {H1}*{H2} + "
          f"{H2}*{C}) + input gradients of layers 2 and 3 2*({H1}*{H2} + {H2}*{C}); biases, "
          f"activations, loss and optimizer updates not counted); peak = 1024^3 with {threads} "
          f"threads: OpenBLAS cblas_sgemm {f(peak_t, '.1f')} GFLOP/s, oneDNN matmul "
          f"{f(peak_dnnl_t, '.1f')} GFLOP/s (% of peak below: OpenBLAS's for sklearn, oneDNN's "
          f"for PyTorch and ours, each library's own).\n")
    print("| tool | epochs run (cap) | stop | timed s | samples/s | GFLOP/s | % of its library's peak | "
          "test accuracy | acc - sklearn (points) | test log-loss |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    sk_acc = get(skm, "test_accuracy")


    def mlp_row(name, epochs, cap, stop, secs, sps, acc, loss, lib_peak=peak_dnnl_t):
        gf = sps * fps / 1e9 if sps else None
        pct = 100 * gf / lib_peak if gf and lib_peak else None
        dacc = 100 * (acc - sk_acc) if acc is not None and sk_acc is not None else None
        print(f"| {name} | {epochs} ({cap}) | {stop} | {f(secs, '.2f')} | {f(sps, ',.0f')} | "
              f"{f(gf, '.1f')} | {f(pct, '.0f')} | {f(acc, '.4f')} | {f(dacc, '+.2f')} | "
              f"{f(loss, '.4f')} |")


    if skm:
        mlp_row("sklearn 1.2 MLPClassifier (fit)", skm["n_iter"], skm["max_iter"],
                "cap" if skm["capped"] else "patience (val accuracy)", skm["fit_s"],
                skm["samples_per_s"], skm["test_accuracy"], skm["test_log_loss"], peak_t)
    else:
        print(f"| sklearn MLPClassifier | {NA} | | | | | | | | |")
    if tm:
        mlp_row(f"PyTorch {tm['torch']} (training epochs)", tm["epochs"], tm["max_epochs"],
                "cap" if tm["capped"] else "patience (val loss)", tm["train_s"],
                tm["samples_per_s"], tm["test_accuracy"], tm["test_log_loss"])
    else:
        print(f"| PyTorch | {NA} | | | | | | | | |")
    if ml:
        mlp_row("tradeoff (train_s)", ml["epochs_run"],
                ml.get("epochs_max", job_value(run, "optimizer", "epochs")),
                ml["stop_reason"], ml["time"]["train_s"], get(ml, "throughput", "samples_per_s"),
                get(ml, "test", "accuracy"), get(ml, "test", "log_loss"))
    else:
        print(f"| tradeoff | {NA} ({why_ml}) | | | | | | | | |")
    thr = get(ml, "throughput", "samples_per_s")
    dacc = abs(ml["test"]["accuracy"] - sk_acc) * 100 if ml and sk_acc is not None else None
    print(f"\nTargets (issue 3): our throughput {f(thr, ',.0f')} samples/s (target >= 200,000: "
          f"{met(None if thr is None else thr >= 200000)}); |accuracy - sklearn's| = "
          f"{f(dacc, '.2f')} points (target <= 0.5: {met(None if dacc is None else dacc <= 0.5)}).")
    accs = [a for a in (sk_acc, get(tm, "test_accuracy")) if a is not None]
    gap = 100 * (max(accs) - ml["test"]["accuracy"]) if ml and accs else None
    tsp = get(tm, "samples_per_s")
    ratio = thr / tsp if thr and tsp else None
    print(f"Targets (issue 16): better peer's accuracy - ours = {f(gap, '+.2f')} points (target "
          f"<= 0.3: {met(None if gap is None else gap <= 0.3)}); our samples/s / PyTorch's = "
          f"{f(ratio, '.2f')} (target >= 1.3: {met(None if ratio is None else ratio >= 1.3)}).")
    def epoch_rate(rows, secs):
        """(median, min, max) samples/s of single epochs: robust to a few disturbed epochs."""
        if not rows or not secs:
            return None
        r = sorted(rows / t for t in secs if t > 0)
        return statistics.median(r), r[0], r[-1]


    er_ours = er_torch = None
    try:
        with open(os.path.join(OUT, "runs", run, "history.csv")) as h:
            secs = [float(row["epoch_s"]) for row in csv.DictReader(h)]
        er_ours = epoch_rate(get(ml, "data", "train_rows"), secs)
    except (OSError, ValueError, IndexError, KeyError):
        pass
    if tm:
        er_torch = epoch_rate(tm["n_train_after_val"], tm.get("epoch_s"))
    for who, e in (("ours (history.csv epoch_s, validation pass included)", er_ours),
                   ("PyTorch (training loop only)", er_torch)):
        if e:
            print(f"Per-epoch rate, {who}: median {e[0]:,.0f} samples/s (slowest epoch {e[1]:,.0f}, "
                  f"fastest {e[2]:,.0f}).")
    gf_own = get(ml, "throughput", "gflops")
    if gf_own is not None and thr:
        print(f"result.json's own throughput.gflops: {gf_own:.1f} (= {gf_own * 1e9 / thr:,.0f} FLOPs "
              f"per sample at its samples_per_s; the formula above counts {fps:,}).")
    if ml:
        print(f"Our total_s {ml['time']['total_s']:.2f} (train_s {ml['time']['train_s']:.2f}, "
              f"compute_s {f(ml['time'].get('compute_s'), '.2f')}, io_wait_s "
              f"{f(ml['time'].get('io_wait_s'), '.2f')}, checkpoint_s "
              f"{f(ml['time'].get('checkpoint_s'), '.2f')}).")
    if tm:
        print(f"PyTorch: validation passes {tm['val_s']:.2f} s outside the timing, script wall time "
              f"{tm['wall_s']:.1f} s.")



mlp_section("issue-3 data (`tradeoff gen`, seed 2)", "sk_mlp.json", "torch_mlp.json", "mlp")
mlp_section("issue-16 data (sklearn make_classification, 3 clusters per class)",
            "sk_mlp_clusters.json", "torch_mlp_clusters.json", "mlp_clusters")

# ---------------------------------------------------------------- 3. sgemm
print("\n### cblas_sgemm (OpenBLAS) and oneDNN matmul, row-major, GFLOP/s = 2MNK / s (best of 7 trials)\n")
if sg:
    tlist = sorted({int(s["threads"]) for s in sg})
    print("| library | shape | M x N x K | op | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}"
                                                    for t in tlist) + " |")
    print("|---|---|---|---|" + "---:|" * len(tlist))
    names = []
    for s in sg:
        if (s["lib"], s["shape"]) not in names:
            names.append((s["lib"], s["shape"]))
    for lib, n in names:
        rows = {int(s["threads"]): s for s in sg if s["shape"] == n and s["lib"] == lib}
        s0 = next(iter(rows.values()))
        op = ("A^T" if s0["trans_a"] == "1" else "A") + " B" + ("^T" if s0["trans_b"] == "1" else "")
        print(f"| {lib} | {n} | {s0['m']} x {s0['n']} x {s0['k']} | {op} | " +
              " | ".join(rows[t]["best_gflops"] if t in rows else NA for t in tlist) + " |")
else:
    print(f"sgemm: {NA} (bench_sgemm not built or failed)")

# ---------------------------------------------------------------- 4. early stopping
print("\n### Early stopping (ours, from result.json)\n")
print("| run | epochs (cap) | epochs_run | best_epoch | stop_reason | epochs saved | train_s | "
      "compute_usd | total_usd | saved_by_early_stop_usd | rate x saved epochs x train_s/epoch |")
print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
for name, label in (("logit_adam", "logistic, adam"), ("mlp", "MLP, adam"),
                    ("mlp_clusters", "MLP, adam, clusters data")):
    r, why = ours(name)
    cap = (r or {}).get("epochs_max", job_value(name, "optimizer", "epochs"))
    if not r:
        print(f"| {label} | {cap} | {NA} ({why}) | | | | | | | | |")
        continue
    er, c = r["epochs_run"], r.get("cost", {})
    saved = int(cap) - er if cap else None
    rate = (c.get("rate_usd_per_h") or 0) * (c.get("nodes") or 1)
    est = rate * saved * r["time"]["train_s"] / er / 3600 if saved is not None and rate and er else None
    print(f"| {label} | {cap} | {er} | {r.get('best_epoch')} | {r.get('stop_reason')} | {saved} | "
          f"{r['time']['train_s']:.2f} | {f(c.get('compute_usd'), '.6f')} | "
          f"{f(c.get('total_usd'), '.6f')} | {f(c.get('saved_by_early_stop_usd'), '.6f')} | "
          f"{f(est, '.6f')} |")
    sv = c.get("saved_by_early_stop_usd")
    if sv is not None and est is not None and est > 0 and abs(sv - est) > 0.25 * est:
        odd.append(f"{name}: saved_by_early_stop_usd {sv:.6g} vs rate x nodes x (cap - epochs_run)"
                   f" x train_s / epochs_run = {est:.6g}")
    if r.get("stop_reason") == "max_epochs" and sv:
        odd.append(f"{name}: stop_reason max_epochs but saved_by_early_stop_usd = {sv}")
for sfx, data in (("", "issue-3 data"), ("_clusters", "clusters data")):
    skm, tm = jload(f"sk_mlp{sfx}.json"), jload(f"torch_mlp{sfx}.json")
    if skm or tm:
        print(f"\nPeers for reference ({data}): sklearn stopped after {get(skm, 'n_iter')} of "
              f"{get(skm, 'max_iter')} epochs, PyTorch after {get(tm, 'epochs')} of "
              f"{get(tm, 'max_epochs')} (best {get(tm, 'best_epoch')}).")

print("\n### Checks on our result.json\n")
if not any(ours(n)[0] for n in ("logit_lbfgs.1", "logit_adam", "mlp", "mlp_clusters")):
    print("- no result.json to check")
elif odd:
    for o in odd:
        print(f"- {o}")
else:
    print("- none flagged (throughput = epochs_run x train_rows / train_s, time parts <= "
          "train_s, test metrics = sklearn's on `tradeoff predict` output, split sizes)")
