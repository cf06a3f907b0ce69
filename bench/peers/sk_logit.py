"""Logistic-baseline peers for bench/bench_train.sh (issue 3): sklearn and LIBLINEAR.

Both standardize with a StandardScaler fitted on the training file, then train L2
logistic regression with C = 1:
- sklearn LogisticRegression(C=1, solver="lbfgs", max_iter=1000); the timing is `fit`
  alone (the scaled features are passed as float64, lbfgs's working dtype, so no copy is
  timed), best and median of REPEATS fits; ROC-AUC and log-loss on the test file.
- LIBLINEAR `liblinear-train -s 0 -B 1 -c 1 -q` (L2-regularized primal logistic
  regression, trust-region Newton) on a LIBSVM text export of the standardized data
  (values printed with 7 significant digits); the timing is the train command as a user
  runs it (process start, parsing the text file, solving, writing the model), best and
  median of REPEATS; `liblinear-predict -b 1` gives the probabilities for the AUC.

Writes a JSON object with one entry per peer to OUT.json.
Usage: sk_logit.py TRAIN.h5 TEST.h5 OUT.json [--repeats 3] [--workdir DIR]
"""
import argparse
import os
import subprocess
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

from common import blas_info, load, write_json


def export_libsvm(path, X, y, sources):
    """LIBSVM text: `label 1:v 2:v ...` (dense, 1-based indices); kept while newer than sources
    (the scaler comes from the training file, so both files are sources of both exports)."""
    if os.path.exists(path) and all(os.path.getmtime(path) >= os.path.getmtime(s) for s in sources):
        return
    d = X.shape[1]
    fmt = "%d " + " ".join(f"{j + 1}:%.7g" for j in range(d))
    tmp = path + ".part"
    with open(tmp, "w") as f:
        for lo in range(0, len(y), 20000):
            block = np.column_stack([y[lo:lo + 20000].astype(np.float64), X[lo:lo + 20000]])
            f.write("\n".join(fmt % tuple(r) for r in block.tolist()))
            f.write("\n")
    os.replace(tmp, path)


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("out")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = a.workdir or os.path.dirname(os.path.abspath(a.out))

    Xtr, ytr = load(a.train)
    Xte, yte = load(a.test)
    scaler = StandardScaler().fit(Xtr)
    Str = scaler.transform(Xtr).astype(np.float64)
    Ste = scaler.transform(Xte).astype(np.float64)
    res = {"n_train": int(len(ytr)), "n_test": int(len(yte)), "features": int(Xtr.shape[1]),
           "blas": blas_info()}

    # sklearn
    times, clf = [], None
    for _ in range(a.repeats):
        clf = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            clf.fit(Str, ytr)
            times.append(time.perf_counter() - t)
    p = clf.predict_proba(Ste)[:, 1]
    w = clf.coef_.ravel()
    ptr = clf.predict_proba(Str)[:, 1]
    objective = log_loss(ytr, ptr) + 0.5 / len(ytr) * float(w @ w)  # C = 1, mean form
    res["sklearn"] = {"fit_s": times, "fit_s_best": min(times), "fit_s_median": median(times),
                      "n_iter": int(clf.n_iter_[0]), "test_auc": float(roc_auc_score(yte, p)),
                      "test_log_loss": float(log_loss(yte, p)),
                      "test_accuracy": float(np.mean((p >= 0.5) == yte)),
                      "train_objective": float(objective)}

    # LIBLINEAR
    tag = os.path.splitext(os.path.basename(a.train))[0]
    svm_tr = os.path.join(work, tag + ".svm")
    svm_te = os.path.join(work, os.path.splitext(os.path.basename(a.test))[0] + ".svm")
    export_libsvm(svm_tr, Str, ytr, (a.train, a.test))
    export_libsvm(svm_te, Ste, yte, (a.train, a.test))
    model = os.path.join(work, tag + ".liblinear.model")
    pred = os.path.join(work, tag + ".liblinear.pred")
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        subprocess.run(["liblinear-train", "-s", "0", "-B", "1", "-c", "1", "-q", svm_tr, model],
                       check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    subprocess.run(["liblinear-predict", "-b", "1", svm_te, model, pred], check=True,
                   stdout=subprocess.DEVNULL)
    with open(pred) as f:
        labels = f.readline().split()[1:]
        probs = np.loadtxt(f, usecols=1 + labels.index("1"))
    res["liblinear"] = {"train_s": times, "train_s_best": min(times), "train_s_median": median(times),
                        "test_auc": float(roc_auc_score(yte, probs)),
                        "test_log_loss": float(log_loss(yte, probs)),
                        "test_accuracy": float(np.mean((probs >= 0.5) == yte)),
                        "svm_bytes": os.path.getsize(svm_tr)}
    write_json(a.out, res)


if __name__ == "__main__":
    main()
