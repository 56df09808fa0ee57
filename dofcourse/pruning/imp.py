"""Iterative magnitude pruning (IMP) with rewinding, R replicas trained as one vectorised ensemble.

Frankle & Carbin (2019) find sparse trainable subnetworks ("winning tickets") like this:

1. initialise theta_0 and train the dense network for k steps: the *rewind point* theta_k
   (k = 0 is the original initialisation; Frankle et al. 2020 call k > 0 *rewinding*);
2. train theta_k * m for the remaining T - k steps (m = all ones at first);
3. prune ``fraction`` (20 %) of the remaining prunable weights by magnitude (``masks``);
4. reset the kept weights to theta_k and repeat from 2.

Every level trains the R replicas (different ``init_seeds``, each with its own mini-batch order)
together through ``ensemble.train_members`` with per-replica masks (R, D). Each level is a cached
experiment keyed by its starting point and mask, so a long IMP run that is interrupted resumes at
the level it reached, and a second run of a chapter redraws at once. Taught in chapter 07; chapter
08 uses :func:`imp` from rewind points pre-trained on data subsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from dofcourse import checks, experiment, train
from dofcourse.pruning.masks import _check_masks, magnitude_prune, prunable
from dofcourse.pruning.rewind import check_start, fit, replica_seeds, start_points
from dofcourse.settings import TrainSettings


@experiment.cached
def imp_level(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    rewind: Tensor,
    mask: Tensor,
    prunable_: Tensor,
    fraction: float,
    order_seeds: Sequence[int],
    progress: bool = True,
) -> dict:
    """One IMP level: train rewind * mask (R, D) for ``settings.steps``, then prune the trained
    weights. Returns final ``test_acc``, ``train_acc``, ``loss`` (R,) and ``next_mask`` (R, D)
    boolean. Cached: the key holds the rewind point and the mask, so levels resume one by one."""
    rewind = check_start(model, rewind, "rewind")
    mask, prunable_ = _check_masks(mask, prunable_, rewind)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    order_seeds = checks.seeds(order_seeds, "order_seeds")
    theta, hist = fit(
        model,
        data,
        settings,
        rewind,
        mask,
        order_seeds=order_seeds,
        progress=progress,
        desc="level",
    )
    return {
        "test_acc": hist.test_acc[:, -1],
        "train_acc": hist.train_acc[:, -1],
        "loss": hist.loss[:, -1],
        "next_mask": magnitude_prune(theta, mask.cpu(), prunable_.cpu(), fraction),
    }


@dataclass
class ImpRun:
    """An IMP run of R replicas over L + 1 levels (level 0 is the dense network).

    ``density`` (L+1,): fraction of prunable weights kept at each level (1, 0.8, 0.64, ...);
    ``test_acc``, ``train_acc`` (L+1, R): final accuracies of each level's training;
    ``masks``: L + 1 boolean (R, D), the mask each level trained with; ``rewind`` (R, D): the
    rewind point theta_k; ``rewind_step``: k; ``steps``: steps per level (T - k).
    """

    density: np.ndarray
    test_acc: np.ndarray
    train_acc: np.ndarray
    masks: list[Tensor]
    rewind: Tensor
    rewind_step: int
    steps: int


def imp(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    rewind: Tensor,
    *,
    levels: int,
    fraction: float = 0.2,
    ignore: Sequence[str] = (),
    rewind_step: int = 0,
    progress: bool = True,
) -> ImpRun:
    """IMP from the rewind points ``rewind`` (R, D): ``levels`` pruning levels after the dense
    one, each trained for ``settings.steps`` steps (replica r with mini-batch order
    ``settings.order_seed + r``). ``rewind_step`` only labels the run. See the module text."""
    if not isinstance(settings, TrainSettings):
        raise TypeError(f"settings must be a TrainSettings, got {type(settings).__name__}")
    rewind = check_start(model, rewind, "rewind").detach().cpu()
    levels = checks.integer(levels, "levels", min=0)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    rewind_step = checks.integer(rewind_step, "rewind_step", min=0)
    keep = prunable(model, ignore)
    seeds = replica_seeds(settings, len(rewind))
    mask = torch.ones(rewind.shape, dtype=torch.bool)
    masks, test, tr = [], [], []
    for _ in tqdm(range(levels + 1), desc=f"IMP k={rewind_step}", disable=not progress):
        out = imp_level(model, data, settings, rewind, mask, keep, fraction, seeds, progress=False)
        masks.append(mask)
        test.append(out["test_acc"])
        tr.append(out["train_acc"])
        mask = out["next_mask"]
    dens = np.array([float((m[0] & keep).sum() / keep.sum()) for m in masks])
    return ImpRun(dens, np.array(test), np.array(tr), masks, rewind, rewind_step, settings.steps)


def lottery(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    *,
    init_seeds: Sequence[int],
    rewind_step: int,
    levels: int,
    fraction: float = 0.2,
    ignore: Sequence[str] = (),
    progress: bool = True,
) -> ImpRun:
    """The whole recipe: theta_0 from ``init_seeds``, k = ``rewind_step`` dense steps (the
    replicas' own orders), then :func:`imp` with T - k steps per level (T = ``settings.steps``),
    so that rewound training plus retraining is T steps, as in Frankle et al. (2020)."""
    if not isinstance(settings, TrainSettings):
        raise TypeError(f"settings must be a TrainSettings, got {type(settings).__name__}")
    k = checks.integer(rewind_step, "rewind_step", min=0, max=settings.steps - 1)
    levels = checks.integer(levels, "levels", min=0)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    prunable(model, ignore)  # checks ignore before the dense steps
    rewind = start_points(model, data, settings, init_seeds, k)
    return imp(model, data, settings.replace(steps=settings.steps - k), rewind, levels=levels,
               fraction=fraction, ignore=ignore, rewind_step=k, progress=progress)  # fmt: skip
