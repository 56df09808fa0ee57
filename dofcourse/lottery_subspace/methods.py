"""Four ways to choose d trainable directions, trained by one engine at matched d (chapter 06).

* **random**: a random affine subspace through theta_0 (Fastfood; chapter 05's t = 0);
* **burn-in**: a random subspace through theta_t after t steps of ordinary training (chapter 05);
* **lottery subspace**: the top-d directions of a training trajectory (``trajectory``), through
  theta_0 (kind "basis"); seed s uses the trajectory recorded with mini-batch order s;
* **lottery ticket**: the d weights of largest magnitude after a short training, trained from
  theta_0 with the others at zero (kind "coordinates"); seed s pre-trains with order s.

Each is a cached, resumable ``subspace.sweep`` (the first two through ``phase.phase_grid``), so
:func:`compare_methods` returns one long table, a column ``method`` added, whose success
probabilities and thresholds ``phase.success_table`` / ``phase.thresholds`` read with
``by=("method",)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from dofcourse import checks, phase, subspace, train
from dofcourse.lottery_subspace.tickets import magnitude_ranking
from dofcourse.lottery_subspace.trajectory import trajectory_directions
from dofcourse.settings import TrainSettings

METHODS = ("random", "burn-in", "lottery subspace", "lottery ticket")


def lottery_bases(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    seeds: Sequence[int],
    d: int,
    *,
    every: int = 5,
    lengths: Sequence[int] | None = None,
    displacement: bool = True,
) -> dict[int, torch.Tensor]:
    """{L: (S, D, k) stack}: the top-k (k = min(d, L / every)) trajectory directions of the first
    L steps of ``settings`` with order seed s, for each s in ``seeds`` and each L in ``lengths``
    (default [every * d]); one recorded run per seed serves every L. ``displacement=False``: the
    directions with the net displacement theta_L - theta_0 projected out (one fewer, k - 1)."""
    checks.settings(settings)
    seeds = checks.seeds(seeds, "seeds")
    d, every = checks.integer(d, "d", min=1), checks.integer(every, "every", min=1)
    lengths = sorted(checks.integers([every * d] if lengths is None else lengths, "lengths",
                                     min=every))  # fmt: skip
    key = "basis" if checks.boolean(displacement, "displacement") else "basis_without_displacement"
    runs = [
        trajectory_directions(
            model, data, settings.replace(order_seed=s), d, every=every, lengths=lengths
        )
        for s in seeds
    ]
    return {n: torch.stack([r[key][n] for r in runs]) for n in lengths}


def lottery_sweep(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    dims: Sequence[int],
    seeds: Sequence[int],
    *,
    trajectory: TrainSettings,
    every: int = 5,
    lengths: Sequence[int] | None = None,
    length: int | None = None,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    progress: bool = True,
    displacement: bool = True,
    record: int | None = None,
) -> pd.DataFrame:
    """Subspace trainings at theta_0 in the lottery subspaces of ``trajectory`` (one per seed),
    built from its first ``length`` steps (default: the longest of ``lengths``, every * max(dims)
    when not given); ``lengths`` are all the prefixes recorded (one cached run per seed).
    ``displacement=False`` trains in the same directions with the net displacement
    theta_L - theta_0 projected out (from max(dims) + 1 recorded directions). ``record``: how
    many directions each trajectory keeps (default: as many as ``dims`` needs); sweeps that pass
    the same ``record`` and ``lengths`` share one cached recording per seed. ``eval_examples``:
    success judged on a fixed subset of the training set (``subspace.sweep``)."""
    checks.settings(settings)
    checks.settings(trajectory, "trajectory")
    dims = checks.integers(dims, "dims", min=1)
    seeds = checks.seeds(seeds, "seeds")
    every = checks.integer(every, "every", min=1)
    need = max(dims) + (0 if checks.boolean(displacement, "displacement") else 1)
    n_dirs = need if record is None else checks.integer(record, "record", min=need)
    lengths = sorted(checks.integers([every * n_dirs] if lengths is None else lengths, "lengths",
                                     min=every))  # fmt: skip
    length = lengths[-1] if length is None else checks.integer(length, "length", min=1)
    if length not in lengths:
        raise ValueError(f"length {length} is not one of the recorded lengths {lengths}")
    if length // every < need:
        raise ValueError(
            f"length {length} records {length // every} updates (every {every}-th step), fewer "
            f"than d = {max(dims)}{'' if need == max(dims) else ' + 1 (one for the displacement)'}"
            f" directions; record trajectories of at least {every * need} steps (lengths)"
        )
    if eval_every is not None:
        eval_every = checks.integer(eval_every, "eval_every", min=1)
    bases = lottery_bases(model, data, trajectory, seeds, n_dirs, every=every, lengths=lengths,
                          displacement=displacement)[length]  # fmt: skip
    if bases.shape[2] < max(dims):
        raise ValueError(
            f"the first {length} steps give {bases.shape[2]} directions (every "
            f"{every}-th update), fewer than d = {max(dims)}"
        )
    return _sweep_given(model, data, settings, dims, seeds, "basis", bases, eval_every,
                        eval_examples, progress)  # fmt: skip


def ticket_sweep(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    dims: Sequence[int],
    seeds: Sequence[int],
    *,
    pretrain: TrainSettings,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Lottery tickets of every d in ``dims``: magnitude masks after ``pretrain`` (one per seed)."""
    checks.settings(settings)
    checks.settings(pretrain, "pretrain")
    dims = checks.integers(dims, "dims", min=1)
    seeds = checks.seeds(seeds, "seeds")
    rankings = torch.stack(
        [magnitude_ranking(model, data, pretrain.replace(order_seed=s)) for s in seeds]
    )
    return _sweep_given(model, data, settings, dims, seeds, "coordinates", rankings, eval_every,
                        eval_examples, progress)  # fmt: skip


def _sweep_given(
    model, data, settings, dims, seeds, kind, basis, eval_every, eval_examples, progress
):
    """``subspace.sweep`` over the per-seed bases (one row of ``basis`` per seed), the rows'
    positions as its projection seeds, reported under the seeds they were built from."""
    table = subspace.sweep(model, data, settings, dims, list(range(len(seeds))), kind=kind,
                           basis=basis, eval_every=eval_every, eval_examples=eval_examples,
                           progress=progress)  # fmt: skip
    return table.assign(proj_seed=[list(seeds)[i] for i in table.proj_seed])


def compare_methods(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    dims: Sequence[int],
    seeds: Sequence[int],
    *,
    ordinary: TrainSettings,
    burn_in: int,
    pretrain_steps: int,
    every: int = 5,
    lottery_dims: Sequence[int] | None = None,
    lengths: Sequence[int] | None = None,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """The four methods of the module text at matched d, trained with ``settings``; ``ordinary``
    is the full-space training that makes the burn-in anchor (``burn_in`` steps), the
    trajectories (``every`` * max(lottery_dims) steps) and the tickets' masks
    (``pretrain_steps``; ``lengths``: the trajectory prefixes recorded, see :func:`lottery_sweep`).
    One row per run, columns ``method`` and those of ``subspace.sweep``."""
    dims = checks.integers(dims, "dims", min=1)
    lottery_dims = (dims if lottery_dims is None
                    else checks.integers(lottery_dims, "lottery_dims", min=1))  # fmt: skip
    checks.settings(settings)
    checks.settings(ordinary, "ordinary")
    seeds = checks.seeds(seeds, "seeds")
    burn_in = checks.integer(burn_in, "burn_in", min=0)
    pretrain_steps = checks.integer(pretrain_steps, "pretrain_steps", min=1)
    every = checks.integer(every, "every", min=1)
    if eval_every is not None:
        checks.integer(eval_every, "eval_every", min=1)
    grid = phase.phase_grid(
        model,
        data,
        settings,
        dims,
        seeds,
        burn_in=ordinary,
        times=[0, burn_in],
        eval_every=eval_every,
        eval_examples=eval_examples,
        progress=progress,
    )
    parts = [
        grid[grid.t == 0].drop(columns="t").assign(method="random"),
        grid[grid.t == burn_in].drop(columns="t").assign(method="burn-in"),
        lottery_sweep(
            model,
            data,
            settings,
            lottery_dims,
            seeds,
            trajectory=ordinary,
            every=every,
            lengths=lengths,
            eval_every=eval_every,
            eval_examples=eval_examples,
            progress=progress,
        ).assign(method="lottery subspace"),
        ticket_sweep(
            model,
            data,
            settings,
            dims,
            seeds,
            pretrain=ordinary.replace(steps=pretrain_steps),
            eval_every=eval_every,
            eval_examples=eval_examples,
            progress=progress,
        ).assign(method="lottery ticket"),
    ]
    return pd.concat(parts, ignore_index=True)
