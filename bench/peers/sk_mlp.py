"""MLP peer for bench/bench_train.sh (issue 3): sklearn's MLPClassifier.

StandardScaler fitted on the training file; the scaled float32 features go to
MLPClassifier(hidden_layer_sizes=(256, 128), activation="relu", solver="adam",
learning_rate_init=0.001, batch_size=256, alpha=1e-4, early_stopping=True,
n_iter_no_change=3, validation_fraction=0.1, max_iter=EPOCHS, random_state=0)
(sklearn keeps float32 data in float32). EPOCHS caps the epochs to keep the benchmark
short (the issue's max_iter is 200); throughput is a per-epoch rate, so the cap changes it
little, but the accuracy may be below an uncapped run's: `capped` says whether the cap
stopped training. Timed: `fit` alone, which includes sklearn's own validation split and
its per-epoch validation scoring (accuracy). Throughput = samples seen / fit seconds =
n_train_after_val * n_iter_ / fit_s, n_train_after_val = n_train - ceil(0.1 * n_train)
(sklearn's split). Test accuracy with the best weights (sklearn restores them when
early_stopping is on).

Usage: sk_mlp.py TRAIN.h5 TEST.h5 OUT.json [--epochs 20]
"""
import argparse
import math
import time
import warnings

import numpy as np
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from common import blas_info, load, write_json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=20)
    a = ap.parse_args()
    Xtr, ytr = load(a.train)
    Xte, yte = load(a.test)
    scaler = StandardScaler().fit(Xtr)
    Str = scaler.transform(Xtr).astype(np.float32)
    Ste = scaler.transform(Xte).astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(256, 128), activation="relu", solver="adam",
                        learning_rate_init=0.001, batch_size=256, alpha=1e-4,
                        early_stopping=True, n_iter_no_change=3, validation_fraction=0.1,
                        max_iter=a.epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when the cap is hit
        t = time.perf_counter()
        clf.fit(Str, ytr)
        fit_s = time.perf_counter() - t
    n_fit = len(ytr) - math.ceil(0.1 * len(ytr))
    proba = clf.predict_proba(Ste)
    res = {"n_train": int(len(ytr)), "n_train_after_val": n_fit, "n_test": int(len(yte)),
           "features": int(Xtr.shape[1]), "dtype": str(clf.coefs_[0].dtype),
           "blas": blas_info(), "max_iter": a.epochs, "n_iter": int(clf.n_iter_),
           "capped": bool(clf.n_iter_ >= a.epochs),
           "best_validation_score": float(clf.best_validation_score_),
           "fit_s": fit_s, "samples_per_s": n_fit * clf.n_iter_ / fit_s,
           "test_accuracy": float(np.mean(clf.classes_[proba.argmax(1)] == yte)),
           "test_log_loss": float(log_loss(yte, proba, labels=clf.classes_))}
    write_json(a.out, res)


if __name__ == "__main__":
    main()
