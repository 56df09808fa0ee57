"""The intrinsic dimension d_int90: the smallest d at which a subspace reaches 90 % of the full
model's accuracy (Li et al. 2018). Taught in chapter 03.

The reference is the full model trained the same way (:func:`full_model_accuracy`, cached). Read
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
from dofcourse.settings import TrainSettings


@experiment.cached
def full_model_accuracy(model: nn.Module, data: train.Data, settings: TrainSettings) -> dict:
    """Train a copy of ``model`` (all D parameters) on ``data`` with ``settings``, the way its
    subspaces are trained; its final ``train_acc``, ``test_acc`` and ``loss``: the reference of
    :func:`intrinsic_dimension`. The model itself is not changed. Chapter 03."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(settings, TrainSettings):
        raise TypeError(f"settings must be a TrainSettings, got {type(settings).__name__}")
    hist = train.train(
        copy.deepcopy(model), data, settings, eval_every=settings.steps, progress=False
    )
    return {
        "train_acc": float(hist.train_acc[-1]),
        "test_acc": float(hist.test_acc[-1]),
        "loss": float(hist.loss[-1]),
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
