"""Iterative magnitude pruning (IMP) with rewinding, replicas trained as one vectorised ensemble.

Frankle & Carbin (2019) find sparse trainable subnetworks ("winning tickets") like this:

1. initialise theta_0 and train the dense network for k steps: the *rewind point* theta_k
   (k = 0 is the original initialisation; Frankle et al. 2020 call k > 0 *rewinding*);
2. train theta_k * m for the remaining T - k steps (m = all ones at first);
3. prune ``fraction`` (20 %) of the remaining prunable weights by magnitude (``masks``);
4. reset the kept weights to theta_k and repeat from 2.

Two ways in, one level loop:

* :func:`imp_grid` (and :func:`lottery`, one start) is a grid experiment
  (``experiment.grid``) over starting points (:class:`Start`: k dense steps, optionally on a
  pool of examples per replica, chapter 08's diets) x replica seeds. Each point, one replica's
  whole IMP run, is cached on its own, so a run resumes at the replicas it has not finished;
  the missing points whose levels train equally long are one ensemble (``ensemble.Free`` with
  per-member masks (E, D)), each member with its own mini-batch order.
* :func:`imp` runs IMP from given rewind points (R, D), one cached :func:`imp_level` at a time.

A member that diverges (the ensemble's divergence monitor) is flagged from that level on and
has no accuracy (NaN), and every call that returns it warns. Taught in chapter 07; chapter 08
runs :func:`imp_grid` from rewind points pre-trained on data subsets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from dofcourse import checks, divergence, experiment, train
from dofcourse.pruning.levels import equal_lengths, level_loop, steps_per_level
from dofcourse.pruning.masks import _check_masks, magnitude_prune, prunable
from dofcourse.pruning.rewind import (
    check_pools,
    check_start,
    fit_flagged,
    initial_points,
    replica_seeds,
    warned,
)
from dofcourse.settings import TrainSettings


@dataclass(frozen=True, eq=False)
class Start:
    """Where IMP rewinds to: theta_k, a replica's theta_0 after ``k`` dense steps (k = 0:
    theta_0), on all the training data (``pools`` None) or, for the replica of seed s, on the
    training examples ``pools[s]`` (1-D index tensor; chapter 08's pre-training on a diet).
    ``name`` labels the start in results (default ``"k = <k>"``). Chapters 07 and 08."""

    k: int = 0
    pools: Mapping[int, Tensor] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", checks.integer(self.k, "k", min=0))
        if self.pools is not None:
            if not isinstance(self.pools, Mapping) or not self.pools:
                raise TypeError("pools must map each replica's seed to its index tensor")
            seeds = checks.seeds(list(self.pools), "the seeds of pools")
            tensors = check_pools([self.pools[s] for s in self.pools])
            object.__setattr__(self, "pools", dict(zip(seeds, tensors, strict=True)))
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {self.name!r:.40}")
        if not self.name:
            object.__setattr__(self, "name", f"k = {self.k}")


@dataclass
class ImpRun:
    """An IMP run of R replicas over L + 1 levels (level 0 is the dense network).

    ``density`` (L+1,): fraction of prunable weights kept at each level (1, 0.8, 0.64, ...);
    ``test_acc``, ``train_acc`` (L+1, R): final accuracies of each level's training (NaN where
    the replica diverged, or was not evaluated: the grid measures the test split only);
    ``masks``: L + 1 boolean (R, D), the mask each level trained with; ``rewind`` (R, D): the
    rewind point theta_k; ``rewind_step``: k; ``steps``: steps per level; ``diverged``
    (L+1, R): the replica had diverged by that level.
    """

    density: np.ndarray
    test_acc: np.ndarray
    train_acc: np.ndarray
    masks: list[Tensor]
    rewind: Tensor
    rewind_step: int
    steps: int
    diverged: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    def __post_init__(self) -> None:
        if self.diverged.size == 0:
            self.diverged = np.zeros(np.shape(self.test_acc), dtype=bool)


@experiment.batched(axes=("start", "seed"), chunk=equal_lengths, ignore=("bars",))
def imp_runs(
    points: list[dict],
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    levels: int,
    fraction: float = 0.2,
    not_pruned: Sequence[str] = (),
    level_steps: int | None = None,
    bars: bool = False,
) -> list[dict]:
    """One replica's IMP run per point ({"start": Start, "seed": s}): theta_0 from seed s, k
    dense steps (mini-batch order ``settings.order_seed + s``, on ``start.pools[s]`` if given),
    then ``levels`` levels of ``level_steps`` steps each (None: T - k). All the points of a
    chunk train as one ensemble. Per point: ``density``, ``test_acc``, ``diverged`` (L+1,),
    ``prune_level`` (D,) uint8 and ``rewind`` (D,). ``not_pruned``: as ``ignore`` of
    :func:`~dofcourse.pruning.masks.prunable`. Run it with :func:`imp_grid`. Chapter 07."""
    starts, seeds = [p["start"] for p in points], [p["seed"] for p in points]
    keep = prunable(model, not_pruned).cpu()
    theta0 = initial_points(model, seeds).detach().cpu()
    orders = [settings.order_seed + s for s in seeds]
    rewind, diverged = theta0.clone(), np.zeros(len(points), dtype=bool)
    n_train = len(train.check_data(data, theta0.dtype, torch.device("cpu"))[1])
    for k in sorted({st.k for st in starts} - {0}):
        idx = [i for i, st in enumerate(starts) if st.k == k]
        pools = [starts[i].pools[seeds[i]] if starts[i].pools is not None else
                 torch.arange(n_train) for i in idx]  # fmt: skip
        any_pool = any(starts[i].pools is not None for i in idx)
        theta, _, d = fit_flagged(model, data, settings.replace(steps=k), theta0[idx],
                                  order_seeds=[orders[i] for i in idx],
                                  pools=pools if any_pool else None, progress=False)  # fmt: skip
        rewind[idx], diverged[idx] = theta, d
    steps = steps_per_level(settings, level_steps, starts[0].k)
    out = level_loop(model, data, settings.replace(steps=steps), rewind, orders, levels, fraction,
                  keep, diverged, bars)  # fmt: skip
    dens = [(out["prune_level"][0] > lv)[keep].float().mean().item() for lv in range(levels + 1)]
    return [
        {
            "density": np.array(dens),
            "test_acc": out["test_acc"][i],
            "diverged": out["diverged"][i],
            "prune_level": out["prune_level"][i],
            "rewind": rewind[i],
        }
        for i in range(len(points))
    ]


def imp_grid(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    starts: Sequence[Start],
    *,
    init_seeds: Sequence[int],
    levels: int,
    fraction: float = 0.2,
    ignore: Sequence[str] = (),
    level_steps: int | None = None,
    executor: object = None,
    progress: bool = True,
) -> dict[str, ImpRun]:
    """IMP from every start in ``starts`` for every replica seed in ``init_seeds`` (replica s:
    theta_0 from seed s, mini-batch order ``settings.order_seed + s``): ``levels`` pruning levels
    after the dense one, each trained for ``level_steps`` steps (None: the T - k that remain,
    T = ``settings.steps``, as Frankle et al. 2020). One :class:`ImpRun` per start, by name.

    A grid experiment (:func:`imp_runs`): each (start, seed) is cached on its own; the missing
    ones whose levels are equally long train as one ensemble. Replicas that diverged are
    flagged in ``ImpRun.diverged`` (NaN accuracy) and warned about. ``executor`` runs the chunks
    elsewhere (``experiment.grid``). Chapters 07 and 08."""
    settings = checks.settings(settings)
    if isinstance(starts, Start) or not all(isinstance(s, Start) for s in starts) or not starts:
        raise TypeError("starts must be a non-empty list of pruning.Start")
    names = [s.name for s in starts]
    if len(set(names)) != len(names):
        raise ValueError(f"the starts' names must differ, got {names}")
    seeds = checks.seeds(init_seeds, "init_seeds")
    levels = checks.integer(levels, "levels", min=0, max=254)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    for st in starts:
        if level_steps is None and st.k >= settings.steps:
            raise ValueError(f"rewind_step (k = {st.k}) must be below settings.steps = "
                             f"{settings.steps}")  # fmt: skip
        if st.pools is not None and set(st.pools) != set(seeds):
            raise ValueError(f"start {st.name!r}: pools must have one index tensor per seed "
                             f"{seeds}, got seeds {sorted(st.pools)}")  # fmt: skip
    if level_steps is not None:
        level_steps = checks.integer(level_steps, "level_steps", min=1)
    prunable(model, ignore)  # checks ignore before any training
    table = experiment.grid(imp_runs, {"start": list(starts), "seed": seeds}, model=model,
                            data=data, settings=settings, levels=levels, fraction=fraction,
                            not_pruned=tuple(ignore), level_steps=level_steps, bars=False,
                            executor=executor, progress=progress,
                            desc="IMP (start, seed)")  # fmt: skip
    runs = {}
    for st in starts:
        rows = table[[s is st for s in table.start]]
        diverged = np.stack(rows.diverged.to_list(), 1)
        prune_level = torch.stack(rows.prune_level.to_list())
        runs[st.name] = ImpRun(
            density=rows.density.iloc[0],
            test_acc=np.stack(rows.test_acc.to_list(), 1),
            train_acc=np.full(diverged.shape, np.nan),
            masks=[prune_level > lv for lv in range(levels + 1)],
            rewind=torch.stack(rows.rewind.to_list()),
            rewind_step=st.k,
            steps=steps_per_level(settings, level_steps, st.k),
            diverged=diverged,
        )
    divergence.warn(np.stack([r.diverged[-1] for r in runs.values()]), "IMP runs", settings)
    return runs


@experiment.cached
def _imp_level(
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
    weights. Returns final ``test_acc``, ``train_acc``, ``loss`` (R,; NaN for a replica that
    diverged), ``diverged`` (R,) and ``next_mask`` (R, D) boolean. Cached: the key holds the
    rewind point and the mask, so levels resume one by one; a diverged replica is warned about
    on every call, from the cache too (:func:`imp_level`, through ``rewind.warned``)."""
    rewind = check_start(model, rewind, "rewind")
    mask, prunable_ = _check_masks(mask, prunable_, rewind)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    order_seeds = checks.seeds(order_seeds, "order_seeds")
    theta, hist, div = fit_flagged(model, data, settings, rewind, mask, order_seeds=order_seeds,
                                   progress=progress, desc="level")  # fmt: skip
    nan = np.where(div, np.nan, 1.0)
    return {
        "test_acc": hist.test_acc[:, -1] * nan,
        "train_acc": hist.train_acc[:, -1] * nan,
        "loss": hist.loss[:, -1] * nan,
        "diverged": div,
        "next_mask": magnitude_prune(theta, mask.cpu(), prunable_.cpu(), fraction),
    }


imp_level = warned(_imp_level, "replicas of the IMP level")


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
    """IMP from the given rewind points ``rewind`` (R, D): ``levels`` pruning levels after the
    dense one, each trained for ``settings.steps`` steps (replica r with mini-batch order
    ``settings.order_seed + r``), one cached :func:`imp_level` at a time. ``rewind_step`` only
    labels the run. From seeds and k, :func:`imp_grid` (or :func:`lottery`) is the way."""
    settings = checks.settings(settings)
    rewind = check_start(model, rewind, "rewind").detach().cpu()
    levels = checks.integer(levels, "levels", min=0)
    fraction = checks.real(fraction, "fraction", min=0.0, max=1.0, open_min=True, open_max=True)
    rewind_step = checks.integer(rewind_step, "rewind_step", min=0)
    keep = prunable(model, ignore)
    seeds = replica_seeds(settings, len(rewind))
    mask = torch.ones(rewind.shape, dtype=torch.bool)
    masks, test, tr, div = [], [], [], []
    for _ in tqdm(range(levels + 1), desc=f"IMP k={rewind_step}", disable=not progress):
        out = _imp_level(model, data, settings, rewind, mask, keep, fraction, seeds,
                         progress=False)  # fmt: skip
        masks.append(mask)
        div.append(out["diverged"] | (div[-1] if div else False))
        test.append(np.where(div[-1], np.nan, out["test_acc"]))
        tr.append(np.where(div[-1], np.nan, out["train_acc"]))
        mask = out["next_mask"]
    dens = np.array([float((m[0] & keep).sum() / keep.sum()) for m in masks])
    divergence.warn(div[-1], "replicas of the IMP run", settings)
    return ImpRun(dens, np.array(test), np.array(tr), masks, rewind, rewind_step, settings.steps,
                  np.array(div))  # fmt: skip


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
    """The whole recipe for one k: theta_0 from ``init_seeds``, k = ``rewind_step`` dense steps
    (the replicas' own orders), then IMP with T - k steps per level (T = ``settings.steps``), so
    that rewound training plus retraining is T steps, as in Frankle et al. (2020). One start of
    :func:`imp_grid`: each replica is cached on its own."""
    settings = checks.settings(settings)
    k = checks.integer(rewind_step, "rewind_step", min=0, max=settings.steps - 1)
    start = Start(k)
    return imp_grid(model, data, settings, [start], init_seeds=init_seeds, levels=levels,
                    fraction=fraction, ignore=ignore, progress=progress)[start.name]  # fmt: skip
