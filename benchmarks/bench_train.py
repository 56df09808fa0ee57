"""Training-loop speed: dofcourse.train vs a plain DataLoader loop, digits MLP, CPU.

Both loops train the same 64-200-200-10 MLP with SGD for the same number of steps on the same
batch size, in one run, interleaved (best of three, so a busy machine hurts both alike). The
ratio is DataLoader time / dofcourse time, at mini-batches of 64 and 256 and at full batch
(all 1,437 training images, the course's usual setting for landscapes and subspace training).
Run: ``python benchmarks/bench_train.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from dofcourse import data, models, train
from dofcourse.settings import TrainSettings

STEPS, REPEATS = 300, 3


def dataloader_loop(ds: data.Dataset, batch_size: int) -> float:
    """The textbook loop: TensorDataset + DataLoader(shuffle=True); seconds for STEPS steps."""
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(ds.x_train, ds.y_train), batch_size=batch_size, shuffle=True)
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


def course_loop(ds: data.Dataset, batch_size: int) -> float:
    """dofcourse.train.train over the in-memory tensors; seconds for STEPS steps."""
    torch.manual_seed(0)
    model = models.mlp(ds.input_shape, ds.n_classes)
    start = time.perf_counter()
    settings = TrainSettings(steps=STEPS, lr=0.05, batch_size=batch_size)
    train.train(model, ds, settings, eval_every=STEPS, progress=False)
    return time.perf_counter() - start


def main() -> None:
    ds = data.load("digits", device="cpu")
    n = len(ds.x_train)
    print(f"digits MLP 64-200-200-10, {STEPS} SGD steps, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'batch':>8} {'DataLoader µs/step':>20} {'dofcourse µs/step':>19} {'speed-up':>9}")
    for batch in (64, 256, n):
        best = {"loader": float("inf"), "course": float("inf")}
        for _ in range(REPEATS):
            best["loader"] = min(best["loader"], dataloader_loop(ds, batch))
            best["course"] = min(best["course"], course_loop(ds, batch))
        label = f"{batch}" if batch < n else f"{batch} (full)"
        loader, course = (1e6 * best[k] / STEPS for k in ("loader", "course"))
        print(f"{label:>8} {loader:20.0f} {course:19.0f} {loader / course:8.1f}×")


if __name__ == "__main__":
    main()
