"""Training-loop speed: dofcourse.train vs a plain DataLoader loop, digits MLP, CPU.

Both loops train the same 64-200-200-10 MLP with SGD, mini-batches of 64, for the same number of
steps, in one run. The ratio printed is DataLoader time / dofcourse time (goal: at least 3×).
Run: ``python benchmarks/bench_train.py`` (or ``make bench``).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from dofcourse import data, models, train

STEPS, BATCH, REPEATS = 1000, 64, 3


def dataloader_loop(ds: data.Dataset) -> float:
    """The textbook loop: TensorDataset + DataLoader(shuffle=True); seconds for STEPS steps."""
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(ds.x_train, ds.y_train), batch_size=BATCH, shuffle=True)
    start, step = time.perf_counter(), 0
    while step < STEPS:
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            step += 1
            if step == STEPS:
                break
    return time.perf_counter() - start


def course_loop(ds: data.Dataset) -> float:
    """dofcourse.train.train over the on-device tensors; seconds for STEPS steps."""
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes)
    start = time.perf_counter()
    train.train(model, ds, steps=STEPS, lr=0.05, batch_size=BATCH, eval_every=STEPS, progress=False)
    return time.perf_counter() - start


def main() -> None:
    ds = data.load("digits", device="cpu")
    print(f"digits MLP, {STEPS} SGD steps of batch {BATCH}, {torch.get_num_threads()} threads")
    best = {"DataLoader": float("inf"), "dofcourse": float("inf")}
    for _ in range(REPEATS):  # interleaved, best of REPEATS: robust to a busy machine
        best["DataLoader"] = min(best["DataLoader"], dataloader_loop(ds))
        best["dofcourse"] = min(best["dofcourse"], course_loop(ds))
    for name, seconds in best.items():
        print(f"  {name:<11} {seconds:6.3f} s   {1e6 * seconds / STEPS:7.1f} µs/step")
    print(f"  speed-up: {best['DataLoader'] / best['dofcourse']:.1f}×  (goal ≥ 3×)")


if __name__ == "__main__":
    main()
