"""The two standard controls of a lottery ticket, at the same sparsity.

A ticket is the IMP mask *and* the rewound weights theta_k under it. Which of the two matters?

* **random pruning**: a random mask with the IMP mask's number of kept weights in every layer
  (``masks.random_like``), from the same rewind point theta_k, trained the same T - k steps;
* **random reinitialisation**: the IMP mask on a fresh random initialisation (other init seeds),
  trained for the full T steps (the ticket had k dense steps plus T - k sparse ones).

If either control does as well as the ticket, the ticket is not special. Frankle & Carbin (2019)
found both fall behind at high sparsity. :func:`controls` is a grid experiment
(:func:`control_runs`) over (control, level, replica): each point is cached on its own, and the
missing points of one control train as one vectorised ensemble. Taught in chapter 07.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from dofcourse import checks, divergence, experiment, train
from dofcourse.pruning.imp import ImpRun
from dofcourse.pruning.masks import layer_index, prunable, random_like
from dofcourse.pruning.rewind import (
    accuracy_rows,
    check_start,
    chunk_size,
    even_parts,
    fit_flagged,
    initial_points,
)
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
    ``train_acc`` and ``loss`` (M,; NaN for a member that diverged) and ``diverged`` (M,).
    Cached."""
    start = check_start(model, start, "start")
    mask = checks.tensor(mask, "mask", ndim=2)
    if mask.shape != start.shape or mask.dtype != torch.bool:
        raise ValueError(f"mask must be boolean of shape {tuple(start.shape)}")
    _, hist, div = fit_flagged(model, data, settings, start, mask, order_seeds=order_seeds,
                               progress=progress, desc="masked")  # fmt: skip
    nan = np.where(div, np.nan, 1.0)
    return {"test_acc": hist.test_acc[:, -1] * nan, "train_acc": hist.train_acc[:, -1] * nan,
            "loss": hist.loss[:, -1] * nan, "diverged": div}  # fmt: skip


def _by_control(points: list[dict], fixed: dict) -> list[list[dict]]:
    """One chunk per control (their trainings differ in length), of at most
    ``rewind.chunk_size`` points each."""
    out = []
    for name in CONTROLS:
        part = [p for p in points if p["control"] == name]
        out += even_parts(part, chunk_size(fixed["data"])) if part else []
    return out


@experiment.batched(axes=("control", "level", "replica"), chunk=_by_control)
def control_runs(
    points: list[dict],
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    run: ImpRun,
    reinit_seeds: Sequence[int],
    mask_seed: int = 0,
    not_pruned: Sequence[str] = (),
) -> list[dict]:
    """The controls at ``points`` ({"control", "level", "replica"}) of the IMP ``run``, all of
    one control as one ensemble: the random mask from the replica's theta_k for ``run.steps``
    (mask seed ``mask_seed + 1000 level + replica``), or the IMP mask on theta_0 of
    ``reinit_seeds[replica]`` for ``run.steps + run.rewind_step``. Per point ``test_acc`` (NaN
    if it diverged) and ``diverged``. Run it with :func:`controls`. Chapter 07."""
    keep, layers = prunable(model, not_pruned), layer_index(model)
    name = points[0]["control"]
    reps, lvs = [p["replica"] for p in points], [p["level"] for p in points]
    seeds = [settings.order_seed + r for r in reps]
    if name == "random_mask":
        pairs = zip(lvs, reps, strict=True)
        masks = torch.cat([random_like(run.masks[lv][r : r + 1], keep, layers,
                                       mask_seed + 1000 * lv + r) for lv, r in pairs])  # fmt: skip
        start, steps = run.rewind[reps], run.steps
    else:
        masks = torch.stack([run.masks[lv][r] for lv, r in zip(lvs, reps, strict=True)])
        start = initial_points(model, [reinit_seeds[r] for r in reps]).cpu()
        steps = run.steps + run.rewind_step
    _, hist, div = fit_flagged(model, data, settings.replace(steps=steps), start, masks,
                               order_seeds=seeds, eval_train=False, progress=False)  # fmt: skip
    return accuracy_rows(hist, div)


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
    executor: object = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Both controls of the IMP ``run`` at the chosen ``levels``; one row per (control, level,
    replica) with ``density``, ``test_acc`` (NaN where it diverged) and ``diverged``.

    ``settings`` are those of the run's levels (``run.steps`` steps; the reinitialised networks
    get ``run.steps + run.rewind_step``); ``reinit_seeds`` (one per replica) must differ from the
    seeds of the run; ``mask_seed`` draws the random masks. ``ignore`` as in the run.
    ``executor`` runs the chunks elsewhere (``experiment.grid``).
    """
    if not isinstance(run, ImpRun):
        raise TypeError(f"run must be an ImpRun (from pruning.imp or lottery), got {type(run)}")
    settings = checks.settings(settings)
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
    prunable(model, ignore)
    table = experiment.grid(control_runs, {"control": list(CONTROLS), "level": list(levels),
                                           "replica": list(range(n_rep))},
                            model=model, data=data, settings=settings, run=run,
                            reinit_seeds=reinit_seeds, mask_seed=mask_seed,
                            not_pruned=tuple(ignore), executor=executor,
                            progress=progress, desc="controls")  # fmt: skip
    table.insert(2, "density", run.density[table.level.to_numpy()])
    divergence.warn(table.diverged.to_numpy(), "control trainings", settings)
    return table


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


def random_mask_gap(table: pd.DataFrame, levels: Sequence[int]) -> dict:
    """How far the random mask falls below the re-initialised mask, from the table of
    :func:`controls`: at each of ``levels`` the gap of their mean test accuracies ("gaps", (L,)),
    the mean gap over the levels ("mean") and its standard error ("se"; the replicas are
    independent runs, so the variances of the two means add). Chapter 07's check that the random
    mask falls furthest."""
    if not isinstance(table, pd.DataFrame) or not {"control", "level", "test_acc"} <= set(table):
        raise TypeError("table must be the DataFrame that pruning.controls returns")
    levels = checks.integers(levels, "levels", min=0)
    if not levels:
        raise ValueError("levels is empty: give the pruning levels to compare")
    gaps, variances = [], []
    for lv in levels:
        acc = table[table.level == lv].groupby("control").test_acc
        m, v, n = acc.mean(), acc.var(), acc.count()
        if set(CONTROLS) - set(m.index) or (n < 2).any():
            raise ValueError(f"level {lv} needs at least 2 runs of each control {CONTROLS}")
        gaps.append(float(m["reinit"] - m["random_mask"]))
        variances.append(float(v["reinit"] / n["reinit"] + v["random_mask"] / n["random_mask"]))
    return {
        "gaps": np.array(gaps),
        "mean": float(np.mean(gaps)),
        "se": float(np.sqrt(np.sum(variances))) / len(levels),
    }
