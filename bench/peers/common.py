"""Helpers shared by the peer scripts of bench/bench_train.sh (issue 3)."""
import json
import os
import platform

import h5py
import numpy as np


def load(path):
    """/X as float32 and /y as int64 from one of split.py's files."""
    with h5py.File(path, "r") as f:
        return f["X"][:].astype(np.float32, copy=False), f["y"][:].astype(np.int64)


def blas_info():
    """A short description of the BLAS numpy uses and its thread count."""
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{d.get('internal_api')} {d.get('version')} ({d.get('threading_layer', '')}, "
                         f"{d.get('num_threads')} threads)" for d in threadpool_info())
    except Exception as e:  # threadpoolctl is optional
        return f"unknown ({e})"


def write_json(path, obj):
    obj.setdefault("python", platform.python_version())
    tmp = path + ".part"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)
