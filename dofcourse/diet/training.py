"""Training on a diet: whole trainings on data subsets, and the pre-training before IMP.

* **Data pruning** (Paul, Ganguli & Dziugaite 2021): train from scratch on a subset only (the
  hardest x % by EL2N, or a random x %) for a fixed number of steps; :func:`train_on_subsets`
  trains every (subset, seed) pair as one vectorised ensemble, each member on its own pool.
* **Pre-training on a diet** (Paul, Larsen, Ganguli, Frankle & Dziugaite 2022): the k dense steps
  before chapter 07's rewind point use a subset only (:func:`diet_rewind`); IMP then runs on the
  full data from that point (:func:`diet_lottery`, chapter 07's :func:`pruning.imp`).
* **Linearly connected examples** (:func:`connected_examples`): two copies trained on the full
  data from a pre-trained point with different data orders; an example is connected when its loss
  at the copies' midpoint is no more than ``threshold`` above the mean of its losses at the two
  copies (``connectivity.midpoint_barrier``). Paul et al. (2022) found that the more examples
  are connected at a pre-trained point, the better the tickets found from it.

Taught in chapter 08.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from torch import Tensor, nn

from dofcourse import checks, connectivity, experiment, train
from dofcourse.pruning.imp import ImpRun, imp
from dofcourse.pruning.rewind import (
    _check_settings,
    check_pools,
    check_start,
    fit,
    initial_points,
    replica_seeds,
    rewind_points,
)
from dofcourse.settings import TrainSettings


@experiment.cached
def train_on_subsets(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    init_seeds: Sequence[int],
    pools: Sequence[Tensor],
    progress: bool = True,
) -> dict:
    """Train one network per (pool, seed) from scratch on that pool of training examples for
    ``settings.steps`` steps, all as one ensemble (member = pool i, seed j in row-major order).
    Returns ``test_acc`` and ``train_acc`` (on the whole training split) of shape (pools, seeds).
    Cached."""
    _check_settings(settings)
    if pools is None:
        raise TypeError("pools must be a list of index tensors (one per training subset)")
    pools = check_pools(pools)
    theta0 = initial_points(model, init_seeds)
    r_n = len(theta0)
    starts = theta0.repeat(len(pools), 1)
    member_pools = [p for p in pools for _ in range(r_n)]
    seeds = replica_seeds(settings, r_n) * len(pools)
    _, hist = fit(model, data, settings, starts, order_seeds=seeds, pools=member_pools,
                  progress=progress, desc="subsets")  # fmt: skip
    shape = (len(pools), r_n)
    return {"test_acc": hist.test_acc[:, -1].reshape(shape),
            "train_acc": hist.train_acc[:, -1].reshape(shape)}  # fmt: skip


def diet_rewind(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    *,
    init_seeds: Sequence[int],
    pools: Sequence[Tensor] | None,
    steps: int,
    progress: bool = True,
) -> Tensor:
    """Rewind points (R, D): the replicas ``init_seeds`` after ``steps`` dense steps on their
    ``pools`` (one index tensor per replica; None: the full data, as chapter 07's rewinding)."""
    _check_settings(settings)
    steps = checks.integer(steps, "steps", min=1)
    theta0 = initial_points(model, init_seeds)
    pools = check_pools(pools)
    if pools is not None and len(pools) != len(theta0):
        raise ValueError(f"pools must have one index set per replica ({len(theta0)})")
    return rewind_points(model, data, settings.replace(steps=steps), theta0,
                         order_seeds=replica_seeds(settings, len(theta0)), pools=pools,
                         progress=progress)  # fmt: skip


def diet_lottery(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    *,
    init_seeds: Sequence[int],
    pools: Sequence[Tensor] | None,
    pretrain_steps: int,
    levels: int,
    level_steps: int | None = None,
    fraction: float = 0.2,
    progress: bool = True,
) -> ImpRun:
    """IMP on the full data, rewinding to the point pre-trained for k = ``pretrain_steps``
    steps on ``pools`` (:func:`diet_rewind`; k = 0: the initialisation). Every level trains
    ``level_steps`` steps: by default the remaining T - k (T = ``settings.steps``), as
    ``pruning.lottery``; a fixed number compares starting points at one sparse-training budget."""
    _check_settings(settings)
    k = checks.integer(pretrain_steps, "pretrain_steps", min=0, max=settings.steps - 1)
    steps = settings.steps - k if level_steps is None else level_steps
    steps = checks.integer(steps, "level_steps", min=1)
    checks.integer(levels, "levels", min=0)
    checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    if k == 0:
        rewind = initial_points(model, init_seeds)
    else:
        rewind = diet_rewind(model, data, settings, init_seeds=init_seeds, pools=pools, steps=k,
                             progress=False)  # fmt: skip
    return imp(model, data, settings.replace(steps=steps), rewind, levels=levels,
               fraction=fraction, rewind_step=k, progress=progress)  # fmt: skip


def connected_examples(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    rewind: Tensor,
    *,
    threshold: float,
    progress: bool = True,
) -> np.ndarray:
    """Number of training examples (R,) that are linearly mode connected between two copies
    trained from each rewind point (R, D) for ``settings.steps`` on the full data: midpoint loss
    barrier <= ``threshold`` (see the module text). The copies are those of
    ``connectivity.instability``, so the error barriers come from the same cached runs."""
    rewind = check_start(model, rewind, "rewind")
    _check_settings(settings)
    threshold = checks.real(threshold, "threshold")
    out = connectivity.instability(model, data, settings, rewind, per_example=True,
                                   progress=progress)  # fmt: skip
    return (out["midpoint"] <= threshold).sum(1).numpy()
