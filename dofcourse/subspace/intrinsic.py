"""The intrinsic dimension d_int90: the smallest d at which a subspace reaches 90 % of the full
model's accuracy (Li et al. 2018). Taught in chapter 03.

The reference is the full model trained the same way (:func:`train_full`, cached). Read
off a sweep: the seed-mean accuracy curve against d crosses ``threshold * full_acc``;
``stats.crossing`` interpolates linearly in log d (the grid is in powers of two) and gives ``inf``
when the curve never gets there. The interval resamples the seeds (``stats.bootstrap``): the runs
with one projection seed form one row, and whole rows are drawn with replacement.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
from torch import nn

from dofcourse import checks, experiment, stats, train
from dofcourse.params import flatten
from dofcourse.settings import TrainSettings


@experiment.cached
def train_full(
    model: nn.Module, data: train.Data, settings: TrainSettings, *, eval_every: int | None = None
) -> dict:
    """Ordinary training of a copy of ``model`` (all D parameters), cached: the reference every
    subspace is compared with (chapter 03's d_int90, chapter 05's full model and end point
    theta*, whose Hessian chapter 05 models). The model itself is not changed.

    Returns {"theta": theta* (D,), "loss", "train_acc", "test_acc"} at the end and the
    evaluation curve ("step", "loss_curve", "train_acc_curve"; every ``eval_every`` steps, as
    ``train.train``: ``eval_every=settings.steps`` evaluates only at the end, the cheapest)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    trained = copy.deepcopy(model)
    hist = train.train(trained, data, settings, eval_every=eval_every, progress=False)
    return {
        "theta": flatten(trained).cpu(),
        "loss": float(hist.loss[-1]),
        "train_acc": float(hist.train_acc[-1]),
        "test_acc": float(hist.test_acc[-1]),
        "step": hist.step,
        "loss_curve": hist.loss,
        "train_acc_curve": hist.train_acc,
    }


def intrinsic_dimension(
    dims: Sequence[int],
    acc: np.ndarray,
    full_acc: float,
    *,
    threshold: float = 0.9,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> stats.Estimate:
    """d_int from accuracies ``acc`` (n_seeds, n_dims) of a sweep and the full model's accuracy.

    Returns an :class:`~dofcourse.stats.Estimate` whose value is the crossing of the seed-mean
    curve with ``threshold * full_acc`` and whose interval comes from resampling the seeds.
    Chapter 03.
    """
    dims = checks.integers(dims, "dims", min=1)
    acc = checks.array(acc, "acc", ndim=2)
    if acc.ndim != 2 or acc.shape[1] != len(dims) or acc.shape[0] < 2:
        raise ValueError(f"acc must have shape (n_seeds >= 2, {len(dims)}), got {acc.shape}")
    full_acc = checks.real(full_acc, "full_acc", min=0.0, max=1.0, open_min=True)
    threshold = checks.real(threshold, "threshold", min=0.0, max=1.0, open_min=True)
    target = threshold * full_acc

    def d_int(rows: np.ndarray) -> float:
        return stats.crossing(dims, rows.mean(0), target, log_x=True)

    return stats.bootstrap(acc, d_int, n_boot=n_boot, level=level, seed=seed)
