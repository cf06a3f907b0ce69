"""Shared train/test split for the training benchmarks (bench/bench_train.sh, issue 3).

Reads /X and /y of an HDF5 file and writes TRAIN.h5 and TEST.h5 (uncompressed,
contiguous, /X float32 and /y with the input's dtype) so that tradeoff, sklearn,
LIBLINEAR and PyTorch all train and test on exactly the same rows. The split is
stratified: within each class a fixed numpy permutation (default_rng(seed)) puts the
first round(test_fraction * n_class) rows into the test set; both files keep the rows in
their original order. Nothing is rewritten when both outputs are newer than the input.

Usage: split.py IN.h5 TRAIN.h5 TEST.h5 [--test-fraction 0.2] [--seed 1]
"""
import argparse
import os

import h5py
import numpy as np


def stratified_mask(y, fraction, seed):
    """Boolean mask of the rows that go to the held-out part, per-class proportions kept."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[rng.permutation(len(idx))]
        mask[idx[: int(round(fraction * len(idx)))]] = True
    return mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    fresh = all(os.path.exists(p) and os.path.getmtime(p) >= os.path.getmtime(a.src)
                for p in (a.train, a.test))
    if not fresh:
        with h5py.File(a.src, "r") as f:
            X = f["X"][:].astype(np.float32, copy=False)
            y = f["y"][:]
        test = stratified_mask(y, a.test_fraction, a.seed)
        for path, rows in ((a.train, ~test), (a.test, test)):
            tmp = path + ".part"
            with h5py.File(tmp, "w") as g:
                g.create_dataset("X", data=X[rows])
                g.create_dataset("y", data=y[rows])
            os.replace(tmp, path)
    with h5py.File(a.train, "r") as f, h5py.File(a.test, "r") as g:
        ytr, yte = f["y"][:], g["y"][:]
        classes, counts = np.unique(ytr, return_counts=True)
        tcounts = np.array([np.sum(yte == c) for c in classes])
        print(f"split {os.path.basename(a.src)}: train {len(ytr)} rows, test {len(yte)} rows, "
              f"{f['X'].shape[1]} features, {len(classes)} classes, smallest class share "
              f"train {counts.min() / len(ytr):.4f} test {tcounts.min() / len(yte):.4f}")


if __name__ == "__main__":
    main()
