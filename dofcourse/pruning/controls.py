"""The two standard controls of a lottery ticket, at the same sparsity.

A ticket is the IMP mask *and* the rewound weights theta_k under it. Which of the two matters?

* **random pruning**: a random mask with the IMP mask's number of kept weights in every layer
  (``masks.random_like``), from the same rewind point theta_k, trained the same T - k steps;
* **random reinitialisation**: the IMP mask on a fresh random initialisation (other init seeds),
  trained for the full T steps (the ticket had k dense steps plus T - k sparse ones).

If either control does as well as the ticket, the ticket is not special. Frankle & Carbin (2019)
found both fall behind at high sparsity. All replicas of all chosen levels train as one vectorised
ensemble per control. Taught in chapter 07.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import Tensor, nn

from dofcourse import checks, experiment, train
from dofcourse.pruning.imp import ImpRun
from dofcourse.pruning.masks import layer_index, prunable, random_like
from dofcourse.pruning.rewind import check_start, fit, initial_points, replica_seeds
from dofcourse.settings import TrainSettings

CONTROLS = ("random_mask", "reinit")


@experiment.cached
def train_masked(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    start: Tensor,
    mask: Tensor,
    order_seeds: Sequence[int] | None = None,
    progress: bool = True,
) -> dict:
    """Train the sparse networks start * mask (M, D) as one ensemble; final ``test_acc``,
    ``train_acc`` and ``loss`` (M,). Cached."""
    start = check_start(model, start, "start")
    mask = checks.tensor(mask, "mask", ndim=2)
    if mask.shape != start.shape or mask.dtype != torch.bool:
        raise ValueError(f"mask must be boolean of shape {tuple(start.shape)}")
    _, hist = fit(model, data, settings, start, mask, order_seeds=order_seeds, progress=progress,
                  desc="masked")  # fmt: skip
    return {"test_acc": hist.test_acc[:, -1], "train_acc": hist.train_acc[:, -1],
            "loss": hist.loss[:, -1]}  # fmt: skip


def controls(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    run: ImpRun,
    *,
    levels: Sequence[int],
    reinit_seeds: Sequence[int],
    mask_seed: int = 0,
    ignore: Sequence[str] = (),
    progress: bool = True,
) -> pd.DataFrame:
    """Both controls of the IMP ``run`` at the chosen ``levels``; one row per (control, level,
    replica) with ``density`` and ``test_acc``, ``train_acc``.

    ``settings`` are those of the run's levels (``run.steps`` steps; the reinitialised networks
    get ``run.steps + run.rewind_step``); ``reinit_seeds`` (one per replica) must differ from the
    seeds of the run; ``mask_seed`` draws the random masks. ``ignore`` as in the run.
    """
    if not isinstance(run, ImpRun):
        raise TypeError(f"run must be an ImpRun (from pruning.imp or lottery), got {type(run)}")
    if not isinstance(settings, TrainSettings):
        raise TypeError(f"settings must be a TrainSettings, got {type(settings).__name__}")
    if settings.steps != run.steps:
        raise ValueError(f"settings must be the run's TrainSettings with steps={run.steps}")
    check_start(model, run.rewind, "the run's rewind points")  # the run is of this model
    levels = checks.integers(levels, "levels", min=0, max=len(run.masks) - 1)
    n_rep = len(run.rewind)
    reinit_seeds = checks.seeds(reinit_seeds, "reinit_seeds")
    if len(reinit_seeds) != n_rep:
        raise ValueError(f"reinit_seeds must have one seed per replica ({n_rep})")
    _check_reinit_differs(model, run, reinit_seeds)
    mask_seed = checks.seed(mask_seed, "mask_seed")
    keep, layers = prunable(model, ignore), layer_index(model)
    seeds = replica_seeds(settings, n_rep) * len(levels)
    rand_masks = torch.cat([random_like(run.masks[lv], keep, layers, mask_seed + 1000 * lv)
                            for lv in levels])  # fmt: skip
    imp_masks = torch.cat([run.masks[lv] for lv in levels])
    fresh = initial_points(model, reinit_seeds).cpu()
    results = {
        "random_mask": train_masked(model, data, settings, run.rewind.repeat(len(levels), 1),
                                    rand_masks, seeds, progress=progress),
        "reinit": train_masked(model, data, settings.replace(steps=run.steps + run.rewind_step),
                               fresh.repeat(len(levels), 1), imp_masks, seeds, progress=progress),
    }  # fmt: skip
    rows = []
    for name in CONTROLS:
        out = results[name]
        for i, lv in enumerate(levels):
            for r in range(n_rep):
                j = i * n_rep + r
                rows.append({"control": name, "level": lv, "density": run.density[lv],
                             "replica": r, "test_acc": float(out["test_acc"][j]),
                             "train_acc": float(out["train_acc"][j])})  # fmt: skip
    return pd.DataFrame(rows)


def _check_reinit_differs(model: nn.Module, run: ImpRun, reinit_seeds: list[int]) -> None:
    """Refuse reinit seeds that draw a replica's own theta_0: that "control" is the ticket. The
    run keeps theta_k, not its seeds: a seed of the run puts theta_0 at theta_k (k = 0) or within
    the few steps' distance of it, far nearer than an independent draw (about sqrt(2) |theta|)."""
    fresh = initial_points(model, reinit_seeds).to(run.rewind.device, run.rewind.dtype)
    gap = torch.cdist(fresh, run.rewind.detach())  # (R, R)
    near = gap < 0.5 * fresh.norm(dim=1, keepdim=True)
    if bool(near.any()):
        r, j = (int(i) for i in near.nonzero()[0])
        raise ValueError(
            f"reinit_seeds[{r}]={reinit_seeds[r]} draws the initial weights of replica {j} of "
            "the run: a reinitialised control must start from other weights; use seeds that "
            "differ from the run's init_seeds"
        )
