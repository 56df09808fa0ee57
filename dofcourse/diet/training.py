"""Training on a diet: whole trainings on data subsets, and the pre-training before IMP.

* **Data pruning** (Paul, Ganguli & Dziugaite 2021): train from scratch on a subset only (the
  hardest x % by EL2N, or a random x %) for a fixed number of steps; :func:`train_on_subsets`
  is a grid (:func:`subset_runs`) over (pool, seed), cached per point; the missing pairs train
  as one vectorised ensemble, each member on its own pool.
  :func:`data_pruning` is that grid for the hardest and random x % of several sizes, as a long
  table (kind, fraction, seed).
* **Pre-training on a diet** (Paul, Larsen, Ganguli, Frankle & Dziugaite 2022): the k dense steps
  before chapter 07's rewind point use a subset only (:func:`diet_rewind`); IMP then runs on the
  full data from that point. :func:`diet_start` describes such a start (a ``pruning.Start``:
  random, easiest or hardest examples, class-balanced, one pool per replica seed), and
  ``pruning.imp_grid`` runs IMP from many starts at once (:func:`diet_lottery`: one start).
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
import pandas as pd
import torch
from torch import Tensor, nn

from dofcourse import checks, connectivity, divergence, experiment, train
from dofcourse.diet.subsets import easiest, hardest, random_subset
from dofcourse.pruning.imp import ImpRun, Start, imp_grid
from dofcourse.pruning.rewind import (
    accuracy_rows,
    check_pools,
    check_start,
    chunk_size,
    even_parts,
    fit_flagged,
    initial_points,
    replica_seeds,
    rewind_points,
)
from dofcourse.settings import TrainSettings

DIETS = ("random", "easiest", "hardest")


def _subset_chunks(points: list[dict], fixed: dict) -> list[list[dict]]:
    return even_parts(points, chunk_size(fixed["data"]))


@experiment.batched(axes=("pool", "seed"), chunk=_subset_chunks)
def subset_runs(points: list[dict], model: nn.Module, data: train.Data,
                settings: TrainSettings) -> list[dict]:  # fmt: skip
    """One network per point ({"pool": index tensor, "seed": s}): theta_0 from seed s trained
    from scratch on the pool for ``settings.steps`` (mini-batch order ``settings.order_seed +
    s``), all points of a chunk as one ensemble. Per point ``test_acc`` (NaN if it diverged)
    and ``diverged``. Run it with :func:`train_on_subsets`. Chapter 08."""
    seeds = [p["seed"] for p in points]
    theta0 = initial_points(model, seeds)
    _, hist, div = fit_flagged(model, data, settings, theta0,
                               order_seeds=[settings.order_seed + s for s in seeds],
                               pools=[p["pool"] for p in points], eval_train=False,
                               progress=False)  # fmt: skip
    return accuracy_rows(hist, div)


def train_on_subsets(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    init_seeds: Sequence[int],
    pools: Sequence[Tensor],
    executor: object = None,
    progress: bool = True,
) -> dict:
    """Train one network per (pool, seed) from scratch on that pool of training examples for
    ``settings.steps`` steps (seed s: theta_0 and mini-batch order ``settings.order_seed + s``).
    Returns ``test_acc`` and ``diverged`` of shape (pools, seeds) (test accuracy NaN where the
    run diverged). A grid (:func:`subset_runs`): each (pool, seed) is cached on its own;
    ``executor`` runs the chunks elsewhere (``experiment.grid``)."""
    checks.settings(settings)
    if pools is None:
        raise TypeError("pools must be a list of index tensors (one per training subset)")
    pools = check_pools(pools)
    seeds = checks.seeds(init_seeds, "init_seeds")
    table = experiment.grid(subset_runs, {"pool": pools, "seed": seeds}, model=model, data=data,
                            settings=settings, executor=executor, progress=progress,
                            desc="subsets")  # fmt: skip
    out = {}
    for col in ("test_acc", "diverged"):  # the grid's rows: pools outer, seeds inner
        out[col] = np.stack([table[col].to_numpy()[[p is pool for p in table.pool]]
                             for pool in pools])  # fmt: skip
    divergence.warn(out["diverged"], "trainings on subsets", settings)
    return out


def data_pruning(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    init_seeds: Sequence[int],
    *,
    scores: Tensor,
    keep: Sequence[float],
    random_seed: int = 7,
    executor: object = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Data pruning (Paul et al. 2021) as one grid (:func:`subset_runs`): one network per seed
    trained from scratch for ``settings.steps`` on the hardest x % of the training examples by
    ``scores`` (N,), on a random x % (NumPy seed ``random_seed``) and on all of them, x in
    ``keep`` (fractions in (0, 1)). One row per (kind, fraction, seed) with ``test_acc`` (NaN
    where the run diverged) and ``diverged``; all the data is one training, listed at fraction
    1.0 under both kinds. Each (pool, seed) is cached on its own; ``executor`` runs the chunks
    elsewhere (``experiment.grid``). Chapter 08."""
    checks.settings(settings)
    seeds = checks.seeds(init_seeds, "init_seeds")
    fractions = checks.reals(keep, "keep", min=0.0, max=1.0, open_min=True, open_max=True)
    random_seed = checks.seed(random_seed, "random_seed")
    scores = checks.tensor(scores, "scores", ndim=1, floating=True, finite=True)
    n_all = len(train.check_data(data, torch.float32, torch.device("cpu"))[1])
    if len(scores) != n_all:
        raise ValueError(f"scores must have one entry per training example ({n_all}), got "
                         f"{len(scores)}")  # fmt: skip
    everything = torch.arange(n_all)
    subsets = {("hardest", 1.0): everything, ("random", 1.0): everything}
    for frac in fractions:
        n = int(round(frac * n_all))
        subsets[("hardest", frac)] = hardest(scores, n)
        subsets[("random", frac)] = random_subset(n_all, n, seed=random_seed)
    pools = list({id(p): p for p in subsets.values()}.values())  # all the data trains once
    table = experiment.grid(subset_runs, {"pool": pools, "seed": seeds}, model=model, data=data,
                            settings=settings, executor=executor, progress=progress,
                            desc="subsets")  # fmt: skip
    divergence.warn(table.diverged.to_numpy(), "trainings on subsets", settings)
    rows = [table[[p is pool for p in table.pool]].drop(columns="pool").assign(kind=kind,
                                                                             fraction=frac)
            for (kind, frac), pool in sorted(subsets.items())]  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    return out[["kind", "fraction", "seed", "test_acc", "diverged"]]


def diet_start(
    kind: str,
    n: int,
    *,
    k: int,
    scores: Tensor,
    labels: Tensor,
    init_seeds: Sequence[int],
    class_balanced: bool = True,
) -> Start:
    """The start of a ticket pre-trained for ``k`` steps on a diet of ``n`` training examples
    (Paul et al. 2022): ``kind`` "random" (each replica seed s its own draw, ``seed=s``),
    "easiest" or "hardest" by ``scores`` (N,) (the same examples for every replica), class-
    balanced by ``labels`` (N,) as the ``lth_diet`` code. Named like "random 10%". Chapter 08."""
    kind = checks.choice(kind, "kind", DIETS)
    scores = checks.tensor(scores, "scores", ndim=1, floating=True, finite=True)
    seeds = checks.seeds(init_seeds, "init_seeds")
    balanced = {"labels": labels, "class_balanced": class_balanced}
    if kind == "random":
        pools = {s: random_subset(len(scores), n, seed=s, **balanced) for s in seeds}
    else:
        pick = (
            easiest(scores, n, **balanced) if kind == "easiest" else hardest(scores, n, **balanced)
        )
        pools = dict.fromkeys(seeds, pick)
    return Start(k, pools, name=f"{kind} {n / len(scores):.0%}")


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
    checks.settings(settings)
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
    steps on ``pools`` (one per replica, as :func:`diet_rewind`; k = 0: the initialisation).
    Every level trains ``level_steps`` steps: by default the remaining T - k (T =
    ``settings.steps``), as ``pruning.lottery``; a fixed number compares starting points at one
    sparse-training budget. One start of ``pruning.imp_grid`` (replica seed s: order
    ``settings.order_seed + s``)."""
    checks.settings(settings)
    k = checks.integer(pretrain_steps, "pretrain_steps", min=0, max=settings.steps - 1)
    seeds = checks.seeds(init_seeds, "init_seeds")
    pools = check_pools(pools)
    if pools is not None and len(pools) != len(seeds):
        raise ValueError(f"pools must have one index set per replica ({len(seeds)})")
    start = Start(k, None if pools is None or k == 0 else dict(zip(seeds, pools, strict=True)))
    return imp_grid(model, data, settings, [start], init_seeds=seeds, levels=levels,
                    fraction=fraction, level_steps=level_steps,
                    progress=progress)[start.name]  # fmt: skip


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
    barrier <= ``threshold`` (see the module text); NaN for a start whose copies diverged. The
    copies are those of ``connectivity.instability``, so the error barriers come from the same
    cached runs."""
    rewind = check_start(model, rewind, "rewind")
    checks.settings(settings)
    threshold = checks.real(threshold, "threshold")
    out = connectivity.instability(model, data, settings, rewind, per_example=True,
                                   progress=progress)  # fmt: skip
    count = (out["midpoint"] <= threshold).sum(1).numpy().astype(float)
    return np.where(out["diverged"], np.nan, count)
