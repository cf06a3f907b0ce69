"""Cross-checks one tradeoff run for bench/bench_train.sh (issue 3): reads the CSV that
`tradeoff predict` wrote for the test file and recomputes the test metrics with sklearn
(ROC-AUC from prob_1 for a binary task, accuracy from `pred`), so that result.json's
figures are checked against an independent implementation on the model it saved.

Usage: check_preds.py TEST.h5 PREDS.csv OUT.json
"""
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

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
    write_json(out, res)


if __name__ == "__main__":
    main()
