"""Cross-checks one tradeoff run for bench/bench_train.sh (issue 3): reads the CSV that
`tradeoff predict` wrote for the test file and recomputes the test metrics with sklearn
(ROC-AUC from prob_1 for a binary task, accuracy from `pred`), so that result.json's
figures are checked against an independent implementation on the model it saved.

With --objective TRAIN.h5 L2 (a linear or logistic run) it also evaluates the training
objective that lbfgs minimizes, mean log-loss + 0.5 * L2 * ||W||^2 (bias not penalized), at
the weights in MODEL.h5 (/layers/0/W, /layers/0/b, /scaler/mean, /scaler/scale), for
comparison with sklearn's value at its optimum.

Usage: check_preds.py TEST.h5 PREDS.csv OUT.json [--objective TRAIN.h5 L2 MODEL.h5]
"""
import sys

import h5py

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

from common import load, write_json


def main():
    test, preds, out = sys.argv[1:4]
    _, y = load(test)
    with open(preds) as f:
        header = f.readline().strip().split(",")
    P = np.loadtxt(preds, delimiter=",", skiprows=1, ndmin=2)
    if P.shape[0] != len(y):
        write_json(out, {"error": f"{P.shape[0]} predictions for {len(y)} test rows"})
        return
    res = {"rows": int(len(y))}
    if "pred" in header:
        res["accuracy"] = float(np.mean(P[:, header.index("pred")].astype(np.int64) == y))
    if "prob_1" in header and len(np.unique(y)) == 2:
        res["auc"] = float(roc_auc_score(y, P[:, header.index("prob_1")]))
    if "--objective" in sys.argv:
        i = sys.argv.index("--objective")
        train, l2, model = sys.argv[i + 1], float(sys.argv[i + 2]), sys.argv[i + 3]
        X, yt = load(train)
        with h5py.File(model, "r") as f:
            W = f["layers/0/W"][:].astype(np.float64).ravel()
            b = float(f["layers/0/b"][0])
            Z = (X - f["scaler/mean"][:]) / f["scaler/scale"][:]
        p = 1.0 / (1.0 + np.exp(-(Z @ W + b)))
        res["train_objective"] = float(log_loss(yt, p) + 0.5 * l2 * float(W @ W))
    write_json(out, res)


if __name__ == "__main__":
    main()
