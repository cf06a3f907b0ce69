#!/usr/bin/python3
"""Writes the small HDF5 fixtures that tests/unit/test_h5io.c reads, with h5py (run with
/usr/bin/python3, which has h5py and numpy). Fixed seeds: the test checks known values.

  h5py_gzip.h5     X 1000 x 8 float32, chunks (100, 8), gzip 4, no shuffle; y int64 (0-2);
                   feature_names attribute on X (variable-length str)
  h5py_shuffle.h5  the same data with chunks (64, 3) (splitting columns), gzip 4 and
                   shuffle; y int64 of shape (1000, 1)
"""
import os
import sys

import h5py
import numpy as np

ROWS, COLS = 1000, 8


def data():
    rng = np.random.default_rng(20240601)
    X = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    y = rng.integers(0, 3, size=ROWS, dtype=np.int64)
    return X, y


def main():
    out = os.path.dirname(os.path.abspath(__file__))
    X, y = data()
    names = [f"f{j}" for j in range(COLS)]
    with h5py.File(os.path.join(out, "h5py_gzip.h5"), "w") as f:
        d = f.create_dataset("X", data=X, chunks=(100, COLS), compression="gzip",
                             compression_opts=4, shuffle=False)
        d.attrs["feature_names"] = names
        f.create_dataset("y", data=y)
    with h5py.File(os.path.join(out, "h5py_shuffle.h5"), "w") as f:
        f.create_dataset("X", data=X, chunks=(64, 3), compression="gzip", compression_opts=4,
                         shuffle=True)
        f.create_dataset("y", data=y.reshape(ROWS, 1))
    # The values the C test checks (printed so they can be compared by eye).
    print(f"X[0,0]={X[0, 0]!r} X[999,7]={X[999, 7]!r} X[123,5]={X[123, 5]!r} "
          f"sum(X)={float(X.astype(np.float64).sum())!r} sum(y)={int(y.sum())} "
          f"counts={np.bincount(y).tolist()}", file=sys.stderr)


if __name__ == "__main__":
    main()
