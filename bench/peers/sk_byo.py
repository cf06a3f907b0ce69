"""Peer for bench/bench_byo.sh (issue 18): sklearn's ColumnTransformer on the same raw
CSV files tradeoff reads, with the same preprocessing choices:

- numeric columns: SimpleImputer(strategy="mean"), fitted on the training file;
- categorical columns: SimpleImputer(strategy="most_frequent") then
  OneHotEncoder(max_categories=M, handle_unknown="infrequent_if_exist");
- then StandardScaler on every output column (tradeoff's data.standardize = true
  standardizes the one-hot columns too) and
  LogisticRegression(C = 1 / (l2 * n_train), solver="lbfgs"), which is tradeoff's
  objective (mean log-loss + 0.5 * l2 * |w|^2, biases unpenalized).

Cells "" and "NA" are missing (np.nan / None), as tradeoff's na_values read them. The
CSV is read with Python's csv module (pandas is not installed here), timed separately;
the "fit" time is the pipeline's fit, "predict" its predict_proba on the test file.
Writes JSON: test AUC, n_features, times (best of REPEATS).
Usage: sk_byo.py TRAIN.csv TEST.csv OUT.json --label L --categorical a,b --max-categories M --l2 X [--repeats 3]
"""
import argparse
import csv
import json
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def read(path, label, cats):
    with open(path, newline="") as f:
        r = csv.reader(f)
        head = next(r)
        rows = list(r)
    li = head.index(label)
    feats = [h for i, h in enumerate(head) if i != li]
    X = np.empty((len(rows), len(feats)), dtype=object)
    y = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        k = 0
        for j, v in enumerate(row):
            if j == li:
                y[i] = v
                continue
            if feats[k] in cats:
                X[i, k] = None if v in ("", "NA") else v
            else:
                X[i, k] = np.nan if v in ("", "NA") else float(v)
            k += 1
    return feats, X, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("out")
    ap.add_argument("--label", required=True)
    ap.add_argument("--categorical", required=True)
    ap.add_argument("--max-categories", type=int, required=True)
    ap.add_argument("--l2", type=float, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    cats = set(a.categorical.split(","))
    t0 = time.perf_counter()
    feats, Xtr, ytr = read(a.train, a.label, cats)
    _, Xte, yte = read(a.test, a.label, cats)
    read_s = time.perf_counter() - t0
    num_idx = [i for i, f in enumerate(feats) if f not in cats]
    cat_idx = [i for i, f in enumerate(feats) if f in cats]
    classes = sorted(set(ytr))
    ytr01 = (ytr == classes[1]).astype(int)
    yte01 = (yte == classes[1]).astype(int)
    best_fit = best_pred = float("inf")
    for _ in range(a.repeats):
        pipe = Pipeline([
            ("columns", ColumnTransformer([
                ("num", SimpleImputer(strategy="mean"), num_idx),
                ("cat", Pipeline([
                    ("impute", SimpleImputer(strategy="most_frequent", missing_values=None)),
                    ("onehot", OneHotEncoder(max_categories=a.max_categories, handle_unknown="infrequent_if_exist",
                                             sparse_output=False)),
                ]), cat_idx),
            ])),
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(C=1.0 / (a.l2 * len(ytr01)), solver="lbfgs", max_iter=2000, tol=1e-6)),
        ])
        t = time.perf_counter()
        pipe.fit(Xtr, ytr01)
        best_fit = min(best_fit, time.perf_counter() - t)
        t = time.perf_counter()
        p = pipe.predict_proba(Xte)[:, 1]
        best_pred = min(best_pred, time.perf_counter() - t)
    out = {
        "test_auc": roc_auc_score(yte01, p),
        "features": int(pipe.named_steps["scale"].n_features_in_),
        "read_csv_s": read_s,
        "fit_s": best_fit,
        "predict_s": best_pred,
    }
    json.dump(out, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
