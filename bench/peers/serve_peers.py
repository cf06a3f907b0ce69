"""Serving peers of bench/bench_serve.sh (issue 14): the same trained 256-128 MLP (the
weights of our model.h5, read with h5py) in sklearn's MLPClassifier (coefs_ set, then
predict_proba) and in PyTorch (nn.Sequential, float32, inference_mode), timed as
serve-bench times ours: batch-1 latency per call (p50/p99 over N calls after a warm-up),
and rows/s at batch 256. The peers get rows already standardized (ours standardizes
inside the request, so this favours them). Prints one JSON object.

usage: serve_peers.py MODEL.h5 REQUESTS REPEATS THREADS"""
import json
import sys
import time

import h5py
import numpy as np


def load(path):
    with h5py.File(path, "r") as f:
        layers = sorted(f["layers"].keys(), key=int)
        W = [f["layers"][l]["W"][:] for l in layers]
        b = [f["layers"][l]["b"][:] for l in layers]
    return W, b


def percentile_ms(lat, p):
    return float(np.percentile(np.asarray(lat), p) * 1e3)


def time_calls(fn, rows, n, warmup):
    for i in range(warmup):
        fn(rows[i % len(rows)])
    lat = []
    for i in range(n):
        x = rows[i % len(rows)]
        t0 = time.perf_counter()
        fn(x)
        lat.append(time.perf_counter() - t0)
    return lat


def throughput(fn, X, seconds=0.5):
    fn(X)
    reps, t0 = 0, time.perf_counter()
    while True:
        fn(X)
        reps += 1
        t = time.perf_counter() - t0
        if reps >= 5 and t >= seconds:
            return reps * len(X) / t


def main():
    path, n, repeats, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    W, b = load(path)
    d = W[0].shape[0]
    rng = np.random.default_rng(14)
    X = rng.standard_normal((1024, d)).astype(np.float32)
    rows = [X[i:i + 1] for i in range(len(X))]
    out = {}

    import sklearn
    from sklearn.neural_network import MLPClassifier
    hidden = tuple(w.shape[1] for w in W[:-1])
    sk = MLPClassifier(hidden_layer_sizes=hidden, max_iter=1)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X[:64], (X[:64, 0] > 0).astype(int))  # shapes and attributes; weights replaced below
    sk.coefs_ = [w.astype(np.float32) for w in W]
    sk.intercepts_ = [v.astype(np.float32) for v in b]

    import torch
    torch.set_num_threads(threads)
    mods = []
    for i, w in enumerate(W):
        lin = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))
            lin.bias.copy_(torch.from_numpy(b[i]))
        mods.append(lin)
        mods.append(torch.nn.ReLU() if i + 1 < len(W) else torch.nn.Sigmoid())
    tm = torch.nn.Sequential(*mods).eval()
    trows = [torch.from_numpy(r) for r in rows]

    def torch_fn(x):
        with torch.inference_mode():
            return tm(x)

    # the three compute the same probabilities
    p_sk = sk.predict_proba(X[:16])[:, 1]
    p_t = torch_fn(torch.from_numpy(X[:16])).numpy()[:, 0]
    assert np.allclose(p_sk, p_t, atol=1e-4), (p_sk, p_t)

    for name, fn, rs, big in (("sklearn", sk.predict_proba, rows, X[:256]),
                              ("torch", torch_fn, trows, torch.from_numpy(X[:256]))):
        best = None
        for _ in range(repeats):
            lat = time_calls(fn, rs, n, min(n, 200))
            p50 = percentile_ms(lat, 50)
            if best is None or p50 < best["p50_ms"]:
                best = {"p50_ms": p50, "p99_ms": percentile_ms(lat, 99)}
        best["rows_per_s_batch256"] = max(throughput(fn, big) for _ in range(repeats))
        out[name] = best
    out["versions"] = {"sklearn": sklearn.__version__, "torch": torch.__version__, "numpy": np.__version__}
    out["requests"], out["repeats"], out["threads"] = n, repeats, threads
    print(json.dumps(out))


if __name__ == "__main__":
    main()
