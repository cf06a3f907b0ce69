#!/usr/bin/python3
"""Writes the small HDF5 fixtures that tests/unit/test_layout.c reads, with h5py (run with
/usr/bin/python3, which has h5py and numpy). Fixed seeds. Every X has 7 columns, so the
files can also serve as the shards of one data set.

  layout_contig_f32.h5   X 120 x 7 float32, contiguous; y int64
  layout_contig_f64.h5   X 90 x 7 float64, contiguous
  layout_split.h5        X 200 x 7 float32, chunks (50, 3) (splitting columns), shuffle +
                         gzip 4; Xm the same data with the same pipeline, but two chunks
                         written directly with filters skipped (filter masks 0b11, 0b10)
  layout_f64_shuffle.h5  libver latest (new chunk indexes): X 101 x 7 float64, chunks
                         (16, 4), shuffle only (fixed array index); Xe 45 x 7, maxshape
                         (None, 7) (extensible array index); Xb 45 x 7, maxshape
                         (None, None) (version 2 B-tree index); all three with partial
                         edge chunks
  layout_userblock.h5    a 512-byte user block: X 60 x 7 float32 contiguous, Xc the same
                         data in chunks (16, 7), gzip 1
  layout_fletcher.h5     X 40 x 7 float32, chunks (10, 7), fletcher32
"""
import os

import h5py
import numpy as np

COLS = 7


def shuffle(a):
    """HDF5's shuffle filter: byte b of element i goes to b * count + i."""
    b = np.frombuffer(a.tobytes(), np.uint8).reshape(-1, a.dtype.itemsize)
    return b.T.copy().tobytes()


def main():
    out = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(20240611)

    def normal(rows, dtype):
        return rng.standard_normal((rows, COLS)).astype(dtype)

    def path(name):
        return os.path.join(out, name)

    with h5py.File(path("layout_contig_f32.h5"), "w") as f:
        f.create_dataset("X", data=normal(120, np.float32))
        f.create_dataset("y", data=rng.integers(0, 2, size=120, dtype=np.int64))
    with h5py.File(path("layout_contig_f64.h5"), "w") as f:
        f.create_dataset("X", data=normal(90, np.float64))
    with h5py.File(path("layout_split.h5"), "w") as f:
        X = normal(200, np.float32)
        f.create_dataset("X", data=X, chunks=(50, 3), compression="gzip", compression_opts=4,
                         shuffle=True)
        m = f.create_dataset("Xm", data=X, chunks=(50, 3), compression="gzip",
                             compression_opts=4, shuffle=True)
        # Pipeline: shuffle (filter 0), deflate (filter 1). Chunk (50, 3) stored raw (both
        # skipped), chunk (100, 0) shuffled but not deflated (deflate skipped).
        raw = X[50:100, 3:6].copy()
        m.id.write_direct_chunk((50, 3), raw.tobytes(), filter_mask=0b11)
        shuf = X[100:150, 0:3].copy()
        m.id.write_direct_chunk((100, 0), shuffle(shuf), filter_mask=0b10)
    with h5py.File(path("layout_f64_shuffle.h5"), "w", libver="latest") as f:
        f.create_dataset("X", data=normal(101, np.float64), chunks=(16, 4), shuffle=True)
        f.create_dataset("Xe", data=normal(45, np.float64), chunks=(16, 4), shuffle=True,
                         maxshape=(None, COLS))
        f.create_dataset("Xb", data=normal(45, np.float64), chunks=(16, 4), shuffle=True,
                         maxshape=(None, None))
    with h5py.File(path("layout_userblock.h5"), "w", userblock_size=512) as f:
        X = normal(60, np.float32)
        f.create_dataset("X", data=X)
        f.create_dataset("Xc", data=X, chunks=(16, COLS), compression="gzip",
                         compression_opts=1)
    with h5py.File(path("layout_fletcher.h5"), "w") as f:
        f.create_dataset("X", data=normal(40, np.float32), chunks=(10, COLS), fletcher32=True)


if __name__ == "__main__":
    main()
