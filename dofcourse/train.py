"""Training one network: a fast loop over tensors that already sit on the device.

The course's datasets fit in memory, so a ``DataLoader`` (per-sample indexing, collation, worker
processes) is pure overhead: a mini-batch here is one index into the stored tensors. The loop
trains with the optimiser a :class:`~dofcourse.settings.TrainSettings` describes, shows a
``tqdm`` progress bar, records loss and accuracy in a :class:`History`, stops early at a target,
and stops with a clear error when training diverges. Many networks at once:
``dofcourse.ensemble`` (same settings, same history type).

Data enter training through ``dofcourse.feed`` (:func:`check_xy`, :func:`check_data`,
:func:`check_model_fits`, the :class:`Data` protocol; importable from here too). Taught in
chapter 00.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from dofcourse import checks, divergence
from dofcourse.divergence import BATCH_DIVERGENCE_FACTOR as BATCH_DIVERGENCE_FACTOR
from dofcourse.divergence import DIVERGENCE_FACTOR as DIVERGENCE_FACTOR
from dofcourse.divergence import TrainingDiverged as TrainingDiverged
from dofcourse.feed import Data as Data
from dofcourse.feed import check_data as check_data
from dofcourse.feed import check_model_fits as check_model_fits
from dofcourse.feed import check_xy as check_xy
from dofcourse.settings import TrainSettings, batch_stream


@dataclass
class History:
    """What happened during training, one entry per evaluation (step 0 included).

    ``step`` (T,); ``loss``, ``train_acc``, ``test_acc``: (T,) for one network, (E, T) for an
    ensemble (``member(e)`` picks one). Accuracies are NaN for a regression loss; ``test_acc`` is
    NaN where no test split was evaluated.
    """

    step: np.ndarray
    loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    stopped_early: bool = False
    seconds: float = 0.0

    def member(self, e: int) -> History:
        """The history of member ``e`` of an ensemble."""
        return dataclasses.replace(
            self, loss=self.loss[e], train_acc=self.train_acc[e], test_acc=self.test_acc[e]
        )


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 8192
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` on ``x`` (N, …), ``y`` (N,) (NumPy
    arrays and another float dtype converted to the model's)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None else torch.get_default_dtype()
    x, y = check_xy(x, y, dtype=dtype, device=device)
    batch_size = checks.integer(batch_size, "batch_size", min=1)
    check_model_fits(model, x, y, name="x")
    return _evaluate(model, x, y, batch_size)


@torch.no_grad()
def _evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 8192
) -> tuple[float, float]:
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size])
        yb = y[start : start + batch_size]
        total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(dim=1) == yb).sum().item()
    model.train(was_training)
    return total_loss / max(len(x), 1), correct / max(len(x), 1)


def train(
    model: nn.Module,
    data: Data,
    settings: TrainSettings,
    *,
    target_loss: float | None = None,
    target_acc: float | None = None,
    eval_every: int | None = None,
    progress: bool = True,
    callback: Callable[[int, nn.Module], None] | None = None,
    on_step: Callable[[int, nn.Module], None] | None = None,
) -> History:
    """Train ``model`` in place on ``data`` with cross-entropy, as ``settings`` say.

    Every ``eval_every`` steps (default: 50 evaluations in all) the loss and accuracy on the whole
    training split and the test accuracy are recorded, ``callback(step, model)`` is called (for
    checkpoints), and training stops once the training loss is ≤ ``target_loss`` or the training
    accuracy ≥ ``target_acc``. ``on_step(step, model)`` is called after every optimiser step (a
    trajectory, burn-in anchors; keep it cheap). Raises :class:`TrainingDiverged` when the loss
    becomes non-finite or rises above ``DIVERGENCE_FACTOR`` times its start (lr too large): at an
    evaluation, or at any step in between (the largest step loss since the last evaluation is
    kept on the device and checked there, ``BATCH_DIVERGENCE_FACTOR`` for mini-batches), so a
    loss that exploded and fell back to chance between two evaluations is caught too.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    settings = checks.settings(settings)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError("the model has no trainable parameters")
    device, dtype = trainable[0].device, trainable[0].dtype
    if target_acc is not None:
        target_acc = checks.real(target_acc, "target_acc", min=0.0, max=1.0)
    if target_loss is not None:
        target_loss = checks.real(target_loss, "target_loss", min=0.0)
    x, y, x_test, y_test = check_data(data, dtype, device)
    _check_finite_parameters(model)
    check_model_fits(model, x, y, y_test=y_test)
    opt = settings.optimizer_for(trainable)
    batches = batch_stream(x, y, settings.batch_size, settings.order_seed)
    every = (
        max(1, settings.steps // 50)
        if eval_every is None
        else checks.integer(eval_every, "eval_every", min=1)
    )
    log: dict[str, list[float]] = {"step": [], "loss": [], "train_acc": [], "test_acc": []}
    step_factor = DIVERGENCE_FACTOR if settings.is_full_batch(len(x)) else BATCH_DIVERGENCE_FACTOR
    monitor = divergence.Monitor(1, dtype, device, step_factor, target_loss, target_acc)

    def record(step: int) -> bool:
        """Evaluate, log and judge (divergence raises, a target stops): True to stop."""
        loss, acc = _evaluate(model, x, y)
        test = _evaluate(model, x_test, y_test)[1] if len(x_test) else math.nan
        for k, v in zip(log, (step, loss, acc, test), strict=True):
            log[k].append(v)
        monitor.at_evaluation(
            torch.tensor([loss], device=device), torch.tensor([acc], device=device)
        )
        if bool(monitor.diverged[0]):
            peak = monitor.peak  # the largest step loss since the last evaluation
            between = peak is not None and loss <= float(monitor.limit()[0])
            worst = float(peak[0]) if between and peak is not None else loss
            _diverged(worst, log["loss"][0], step, settings, between=between)
        if callback is not None:
            callback(step, model)
        return bool(monitor.stopped[0])

    start = time.perf_counter()
    model.train()
    stop = record(0)
    bar = tqdm(range(1, settings.steps + 1), desc="training", disable=not progress, leave=False)
    for step in bar:
        if stop:
            break
        xb, yb = next(batches)
        # no per-step check of the loss (a sync a step): the monitor keeps the largest step loss
        # on the device, and the next evaluation, a few steps later, judges it
        loss = F.cross_entropy(model(xb), yb)
        monitor.watch(loss[None])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if on_step is not None:
            on_step(step, model)
        if step % every == 0 or step == settings.steps:
            stop = record(step)
            bar.set_postfix(loss=f"{log['loss'][-1]:.3f}", acc=f"{log['train_acc'][-1]:.3f}")
    return History(
        step=np.array(log["step"]),
        loss=np.array(log["loss"]),
        train_acc=np.array(log["train_acc"]),
        test_acc=np.array(log["test_acc"]),
        stopped_early=stop,
        seconds=time.perf_counter() - start,
    )


def _check_finite_parameters(model: nn.Module) -> None:
    """Refuse a model that starts with NaN or infinite weights: its training would be reported
    as a learning rate too large (review C13), when the start itself is broken."""
    for pname, p in model.named_parameters():
        if not bool(torch.isfinite(p).all()):
            raise ValueError(
                f"model parameter {pname} {tuple(p.shape)} holds NaN or infinite values before "
                "training starts: the model's initial weights are broken (re-create the model, "
                "or look for what wrote them)"
            )


def _diverged(
    loss: float, start: float, step: int, settings: TrainSettings, between: bool = False
) -> None:
    when = f"in a step before step {step}" if between else f"by step {step}"
    raise TrainingDiverged(
        f"training diverged: the loss went from {start:.3g} at the start to {loss:.3g} {when}. "
        + divergence.advice(settings)
    )
