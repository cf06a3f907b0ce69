"""MLP peer for bench/bench_train.sh (issue 3): PyTorch on the CPU, float32.

StandardScaler statistics from the training file; a stratified 10% of the training rows
(split.stratified_mask, seed 1) is the validation set. Net: Linear(256, 256)-ReLU-
Linear(256, 128)-ReLU-Linear(128, 10) (PyTorch's default initialization), cross-entropy,
Adam(lr=1e-3) with weight_decay=1e-4 on the weight matrices only (biases are not
penalized, as in tradeoff's l2; Adam's weight_decay is the coupled L2 gradient l2 * w,
the same as tradeoff's 0.5 * l2 * ||w||^2 added to the mean loss), batch 256 drawn from a
fresh random permutation each epoch (plain tensor indexing, no DataLoader), early stopping
on the validation loss with patience 3 and min_delta 1e-4 (tradeoff's default), the best
weights restored, at most EPOCHS epochs. torch.set_num_threads(THREADS).
Timed: each training epoch's loop (forward, backward, step), excluding the per-epoch
validation pass; throughput = n_train_after_val * epochs / sum of those times. The
validation passes and total wall time are reported separately.

Usage: torch_mlp.py TRAIN.h5 TEST.h5 OUT.json [--epochs 20] [--threads 2]
"""
import argparse
import copy
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import load, write_json
from split import stratified_mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t_all = time.perf_counter()

    Xtr, ytr = load(a.train)
    Xte, yte = load(a.test)
    mean = Xtr.mean(0, dtype=np.float64)
    std = Xtr.std(0, dtype=np.float64)
    std[std == 0] = 1.0
    scale = lambda X: ((X - mean) / std).astype(np.float32)
    val = stratified_mask(ytr, 0.1, 1)
    Xf, yf = torch.from_numpy(scale(Xtr[~val])), torch.from_numpy(ytr[~val])
    Xv, yv = torch.from_numpy(scale(Xtr[val])), torch.from_numpy(ytr[val])
    Xt, yt = torch.from_numpy(scale(Xte)), torch.from_numpy(yte)
    classes = int(max(ytr.max(), yte.max())) + 1
    d = Xf.shape[1]

    net = torch.nn.Sequential(torch.nn.Linear(d, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, classes))
    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
    opt = torch.optim.Adam([{"params": weights, "weight_decay": 1e-4},
                            {"params": biases, "weight_decay": 0.0}], lr=1e-3)
    gen = torch.Generator().manual_seed(0)

    n = len(yf)
    train_s, val_s, epochs, best, best_epoch, best_state, bad = 0.0, 0.0, 0, float("inf"), 0, None, 0
    stop, epoch_s = "max_epochs", []
    for epoch in range(1, a.epochs + 1):
        net.train()
        t = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        for lo in range(0, n, a.batch):
            idx = perm[lo:lo + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(Xf[idx]), yf[idx])
            loss.backward()
            opt.step()
        epoch_s.append(time.perf_counter() - t)
        train_s += epoch_s[-1]
        epochs = epoch
        t = time.perf_counter()
        net.eval()
        with torch.no_grad():
            vloss = float(F.cross_entropy(net(Xv), yv))
        val_s += time.perf_counter() - t
        if vloss < best - 1e-4:
            best, best_epoch, bad = vloss, epoch, 0
            best_state = copy.deepcopy(net.state_dict())
        else:
            bad += 1
            if bad >= 3:
                stop = "patience"
                break
    net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        logits = net(Xt)
        acc = float((logits.argmax(1) == yt).float().mean())
        tloss = float(F.cross_entropy(logits, yt))
    res = {"n_train": int(len(ytr)), "n_train_after_val": int(n), "n_val": int(len(yv)),
           "n_test": int(len(yt)), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "max_epochs": a.epochs, "epochs": epochs, "best_epoch": best_epoch, "stop": stop,
           "capped": stop == "max_epochs", "train_s": train_s, "epoch_s": epoch_s, "val_s": val_s,
           "wall_s": time.perf_counter() - t_all, "samples_per_s": n * epochs / train_s,
           "best_val_loss": best, "test_accuracy": acc, "test_log_loss": tloss}
    write_json(a.out, res)


if __name__ == "__main__":
    main()
