"""Data set of issue 16 for bench/bench_train.sh: sklearn's make_classification with
several clusters per class, data the trainer was not tuned on.

make_classification(n_samples=ROWS, n_features=256, n_informative=64, n_redundant=0,
n_classes=10, n_clusters_per_class=3, random_state=SEED), written as /X float32 and /y
int64 (uncompressed) to OUT.h5 through a temporary file renamed into place. Nothing is
rewritten when OUT.h5 exists.

Usage: make_clusters.py OUT.h5 [--rows 200000] [--features 256] [--informative 64]
                        [--classes 10] [--clusters 3] [--seed 0]
"""
import argparse
import os

import h5py
import numpy as np
from sklearn.datasets import make_classification


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=200000)
    ap.add_argument("--features", type=int, default=256)
    ap.add_argument("--informative", type=int, default=64)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--clusters", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if os.path.exists(a.out):
        return
    X, y = make_classification(n_samples=a.rows, n_features=a.features,
                               n_informative=a.informative, n_redundant=0,
                               n_classes=a.classes, n_clusters_per_class=a.clusters,
                               random_state=a.seed)
    tmp = a.out + ".part"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("X", data=X.astype(np.float32))
        f.create_dataset("y", data=y.astype(np.int64))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
