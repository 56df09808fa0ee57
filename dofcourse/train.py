"""A fast training loop over tensors that already sit on the device.

The course's datasets fit in memory, so a ``DataLoader`` (per-sample indexing, collation, worker
processes) is pure overhead: a mini-batch here is one index into the stored tensors. The loop
trains with SGD or Adam, full-batch or mini-batch, shows a ``tqdm`` progress bar, records loss and
accuracy, stops early at a target, and is deterministic under a seed (the seed fixes the order of
the mini-batches; the model's initialisation is the caller's, seeded with ``torch.manual_seed``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm


class Data(Protocol):
    """What :func:`train` needs of a dataset (``dofcourse.data.Dataset`` has it)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@dataclass
class History:
    """What happened during training, one entry per evaluation (step 0 included)."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    stopped_early: bool = False
    seconds: float = 0.0


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 8192
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` on ``x`` (N, …), ``y`` (N,)."""
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size])
        yb = y[start : start + batch_size]
        total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(dim=1) == yb).sum().item()
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


def make_optimizer(
    params: Any, name: str, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """``"sgd"`` (with optional momentum) or ``"adam"``."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")


def batch_indices(
    n: int, batch_size: int | None, seed: int, device: torch.device
) -> Iterator[torch.Tensor | None]:
    """Endless stream of mini-batch index tensors, a fresh permutation each epoch.

    Yields ``None`` forever for full-batch training (``batch_size`` None or ≥ n).
    """
    if batch_size is None or batch_size >= n:
        while True:
            yield None
    gen = torch.Generator().manual_seed(seed)
    while True:
        perm = torch.randperm(n, generator=gen).to(device)
        for start in range(0, n - batch_size + 1, batch_size):
            yield perm[start : start + batch_size]


def check_settings(steps: int, lr: float, optimizer: str, batch_size: int | None) -> None:
    """ValueError for settings no training loop can use (shared with ``dofcourse.subspace``)."""
    if steps < 1 or lr <= 0:
        raise ValueError(f"steps must be ≥ 1 and lr > 0, got steps={steps}, lr={lr}")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size}")


def _check_args(model: nn.Module, data: Data) -> None:
    if not any(True for _ in model.parameters()):
        raise ValueError("the model has no parameters to train")
    if len(data.x_train) != len(data.y_train):
        raise ValueError(
            f"x_train has {len(data.x_train)} rows but y_train has {len(data.y_train)}"
        )


def train(
    model: nn.Module,
    data: Data,
    *,
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    batch_size: int | None = None,
    seed: int = 0,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    target_loss: float | None = None,
    target_acc: float | None = None,
    eval_every: int | None = None,
    progress: bool = True,
    callback: Callable[[int, nn.Module], None] | None = None,
) -> History:
    """Train ``model`` in place on ``data`` with cross-entropy for ``steps`` steps.

    Every ``eval_every`` steps (default: 50 evaluations in all) the loss and accuracy on the whole
    training set and the test accuracy are recorded, ``callback(step, model)`` is called (for
    checkpoints), and training stops once the training loss is ≤ ``target_loss`` or the training
    accuracy ≥ ``target_acc``.
    """
    check_settings(steps, lr, optimizer, batch_size)
    _check_args(model, data)
    device = next(model.parameters()).device
    x, y = data.x_train.to(device), data.y_train.to(device)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    opt = make_optimizer(model.parameters(), optimizer, lr, momentum, weight_decay)
    batches = batch_indices(len(x), batch_size, seed, device)
    every = eval_every or max(1, steps // 50)
    hist = History()
    start = time.perf_counter()

    def record(step: int) -> bool:
        loss, acc = evaluate(model, x, y)
        hist.step.append(step)
        hist.loss.append(loss)
        hist.train_acc.append(acc)
        hist.test_acc.append(evaluate(model, x_test, y_test)[1] if len(x_test) else math.nan)
        if callback is not None:
            callback(step, model)
        return (target_loss is not None and loss <= target_loss) or (
            target_acc is not None and acc >= target_acc
        )

    model.train()
    bar = tqdm(range(1, steps + 1), desc="training", disable=not progress, leave=False)
    hist.stopped_early = record(0)
    for step in bar:
        if hist.stopped_early:
            break
        idx = next(batches)
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        loss = F.cross_entropy(model(xb), yb)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss.item()} at step {step}: lower the learning rate (lr={lr})"
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % every == 0 or step == steps:
            hist.stopped_early = record(step)
            bar.set_postfix(loss=f"{hist.loss[-1]:.3f}", acc=f"{hist.train_acc[-1]:.3f}")
    hist.seconds = time.perf_counter() - start
    return hist
