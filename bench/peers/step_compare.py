"""Step-by-step comparison of our training step with PyTorch's and sklearn's (issue 16).

A small case (make_classification ROWS x COLS, CLASSES classes, 3 clusters per class,
standardized, float32), an MLP COLS-H1-H2-CLASSES with ReLU, Adam (lr, betas 0.9/0.999,
eps 1e-8) with l2 on the weights only, mean cross-entropy over each batch, batches taken
in row order (step k uses rows [k*B, (k+1)*B), no shuffle). All three start from OUR
initial weights (build/bench/peer_steps writes them; PyTorch and sklearn load them) and
take the same batches (--init: our scheme, model.init, default torch, as `tradeoff train`);
the parameters are compared after each of STEPS steps:
  - PyTorch: torch.optim.Adam(weight_decay=l2) on the weights (coupled L2: g + l2 * w),
  - sklearn: MLPClassifier(solver="adam", alpha=l2, shuffle=False) through partial_fit, one
    batch per call (its L2 is alpha * w / batch_size in the gradient: a penalty 0.5 *
    alpha * |w|^2 / n_samples per batch, so the same alpha is a batch_size-times weaker
    L2 than PyTorch's weight_decay and ours); with --sk-alpha-times-batch it gets
    alpha = l2 * B, which is the same penalty.
Then the initialization scale of each scheme (model.init = he: He normal before ReLU,
Glorot uniform for the output layer, zero biases; torch: U(+-1/sqrt(fan_in)), biases too;
sklearn: U(+-sqrt(6/(fan_in+fan_out))), biases too).
Prints a markdown table; exit status 1 when ours and PyTorch differ by more than the
float32 tolerance after the first step (a regression of our step).

Usage: step_compare.py [--peer-steps build/bench/peer_steps] [--rows 4096] [--cols 32]
                       [--classes 4] [--hidden 64,32] [--batch 64] [--lr 1e-3] [--l2 1e-4]
                       [--steps 1,10,100,1000] [--workdir DIR] [--sk-alpha-times-batch]
                       [--init he|torch|sklearn]
"""
import argparse
import os
import subprocess
import tempfile
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier


def layers_of(cols, hidden, classes):
    dims = [cols] + hidden + [classes]
    return list(zip(dims[:-1], dims[1:]))


def unflatten(flat, shapes):
    """Our flat vector (per layer W in x out row-major, then b) to [(W, b), ...]."""
    out, off = [], 0
    for i, o in shapes:
        W = flat[off:off + i * o].reshape(i, o)
        off += i * o
        b = flat[off:off + o]
        off += o
        out.append((W, b))
    assert off == len(flat)
    return out


def flatten(layers):
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in layers]).astype(np.float32)


def torch_run(X, y, init, shapes, a, steps):
    mods = []
    for k, (i, o) in enumerate(shapes):
        lin = torch.nn.Linear(i, o)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(init[k][0].T.copy()))
            lin.bias.copy_(torch.from_numpy(init[k][1].copy()))
        mods.append(lin)
        if k + 1 < len(shapes):
            mods.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*mods)
    w = [p for n, p in net.named_parameters() if n.endswith("weight")]
    b = [p for n, p in net.named_parameters() if n.endswith("bias")]
    opt = torch.optim.Adam([{"params": w, "weight_decay": a.l2}, {"params": b, "weight_decay": 0.0}],
                           lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    res, losses = {}, []
    for k in range(max(steps)):
        lo = (k * a.batch) % len(y)
        if lo + a.batch > len(y):
            lo = 0
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(Xt[lo:lo + a.batch]), yt[lo:lo + a.batch])
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if k + 1 in steps:
            lins = [m for m in net if isinstance(m, torch.nn.Linear)]
            res[k + 1] = flatten([(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in lins])
    return res, np.array(losses)


def sklearn_run(X, y, init, a, steps, alpha):
    clf = MLPClassifier(hidden_layer_sizes=tuple(a.hidden_list), activation="relu", solver="adam",
                        alpha=alpha, batch_size=a.batch, learning_rate_init=a.lr, shuffle=False,
                        beta_1=0.9, beta_2=0.999, epsilon=1e-8, random_state=0)
    classes = np.unique(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(X[:a.batch], y[:a.batch], classes=classes)  # creates coefs_, then reset:
    for k, (W, b) in enumerate(init):
        clf.coefs_[k][...] = W
        clf.intercepts_[k][...] = b
    del clf._optimizer  # a fresh Adam (t = 0, zero moments) over the arrays just set
    res = {}
    for k in range(max(steps)):
        lo = (k * a.batch) % len(y)
        if lo + a.batch > len(y):
            lo = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.partial_fit(X[lo:lo + a.batch], y[lo:lo + a.batch])
        if k + 1 in steps:
            res[k + 1] = flatten(list(zip(clf.coefs_, clf.intercepts_)))
    return res


def init_stats(shapes):
    rows = []
    for k, (i, o) in enumerate(shapes):
        he = np.sqrt(2.0 / i) if k + 1 < len(shapes) else np.sqrt(6.0 / (i + o)) / np.sqrt(3)
        tb = 1.0 / np.sqrt(i)
        sb = np.sqrt(6.0 / (i + o))
        kind = "normal" if k + 1 < len(shapes) else "Glorot U"
        rows.append(f"| {i}x{o} | {he:.4f} ({kind}) | {tb / np.sqrt(3):.4f} (U +-{tb:.4f}) | "
                    f"{sb / np.sqrt(3):.4f} (U +-{sb:.4f}) |")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-steps", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "build", "bench", "peer_steps"))
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--cols", type=int, default=32)
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--hidden", default="64,32")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--steps", default="1,10,100,1000")
    ap.add_argument("--workdir")
    ap.add_argument("--sk-alpha-times-batch", action="store_true")
    ap.add_argument("--init", default="torch", choices=["he", "torch", "sklearn"])
    a = ap.parse_args()
    a.hidden_list = [int(h) for h in a.hidden.split(",")]
    steps = [int(s) for s in a.steps.split(",")]
    torch.set_num_threads(1)
    X, y = make_classification(n_samples=a.rows, n_features=a.cols, n_informative=a.cols // 4,
                               n_redundant=0, n_classes=a.classes, n_clusters_per_class=3,
                               random_state=0)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    shapes = layers_of(a.cols, a.hidden_list, a.classes)
    wd = a.workdir or tempfile.mkdtemp(prefix="step_compare.")
    os.makedirs(wd, exist_ok=True)
    X.tofile(os.path.join(wd, "X.f32"))
    y.astype(np.float32).tofile(os.path.join(wd, "y.f32"))
    subprocess.run([a.peer_steps, wd, str(a.rows), str(a.cols), str(a.classes), a.hidden,
                    str(a.batch), repr(a.lr), repr(a.l2), "adam", a.steps, a.init],
                   check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, OMP_NUM_THREADS="1"))
    load = lambda name: np.fromfile(os.path.join(wd, name), dtype=np.float32)
    init = unflatten(load("init_ours.f32"), shapes)
    ours = {k: load(f"params_{k}.f32") for k in steps}
    our_loss = np.loadtxt(os.path.join(wd, "loss.txt"))
    tor, tor_loss = torch_run(X, y, init, shapes, a, steps)
    alpha = a.l2 * a.batch if a.sk_alpha_times_batch else a.l2
    sk = sklearn_run(X, y, init, a, steps, alpha)
    p0 = flatten(init)
    print(f"Case: {a.rows} x {a.cols}, {a.classes} classes, MLP {a.hidden} relu, batch {a.batch}, "
          f"Adam lr {a.lr}, l2 {a.l2} (sklearn alpha {alpha}), batches in row order, our initial "
          f"weights (model.init = {a.init}).")
    print()
    print("| steps | max abs(ours - torch) | rel. to the update | max abs(ours - sklearn) | rel. to the update | loss ours | loss torch |")
    print("|---|---|---|---|---|---|---|")
    worst_first = 0.0
    for k in steps:
        upd = np.abs(ours[k] - p0).max()
        dt = np.abs(ours[k] - tor[k]).max()
        ds = np.abs(ours[k] - sk[k]).max()
        if k == steps[0]:
            worst_first = dt / upd
        print(f"| {k} | {dt:.3g} | {dt / upd:.2g} | {ds:.3g} | {ds / upd:.2g} | "
              f"{our_loss[k - 1]:.6f} | {tor_loss[k - 1]:.6f} |")
    print()
    print("Initial weight scale (standard deviation) per layer:")
    print()
    print("| layer | model.init = he | torch (PyTorch's) | sklearn (sklearn's) |")
    print("|---|---|---|---|")
    for r in init_stats(shapes):
        print(r)
    return 1 if worst_first > 1e-3 else 0


if __name__ == "__main__":
    raise SystemExit(main())
