"""The grid of chapter 05: subspace trainings over (burn-in t, d, projection seed), cached.

Larsen et al. (2022) anchor the random affine subspace theta_t + P z at the initialisation
(t = 0) or after t steps of ordinary training, the *burn-in*. Here

* :func:`burn_in_anchors` records every anchor theta_t from **one** ordinary training run
  (``subspace.burn_in``), cached, so that the anchors, and with them the keys of every subspace
  run, are the same on every re-run (a GPU need not train bit for bit alike twice);
* :func:`phase_grid` trains, for every anchor, the subspaces over dims x proj_seeds with the
  engine's cached, resumable, vectorised sweep (``subspace.sweep``) and stacks the tables with a
  column ``t``: one row per run, with final and best train/test accuracy and the final loss;
* the full model's accuracy after the same number of steps, and the end point theta* whose
  Hessian chapter 05 models, come from ``subspace.train_full`` (ordinary training, cached).

Taught in chapter 05; chapter 06 compares its lottery subspaces with these.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from torch import Tensor, nn

from dofcourse import checks, experiment, subspace, train
from dofcourse.projections import DEFAULT_MAX_BYTES
from dofcourse.settings import TrainSettings


@experiment.cached
def burn_in_anchors(
    model: nn.Module, data: train.Data, settings: TrainSettings, times: Sequence[int]
) -> dict[int, Tensor]:
    """{t: theta_t (D,)} after t steps of ordinary training with ``settings`` (its ``steps``
    field is ignored), for every burn-in time t in ``times``, all from one run. The model is not
    changed."""
    return subspace.burn_in(model, data, settings, times)


def phase_grid(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    dims: Sequence[int],
    proj_seeds: Sequence[int],
    *,
    burn_in: TrainSettings,
    times: Sequence[int] = (0,),
    kind: str = "fastfood",
    eval_every: int | None = None,
    eval_examples: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> pd.DataFrame:
    """Subspace trainings of ``model`` with ``settings`` for every burn-in time t in ``times`` (the
    anchors made with ``burn_in``), d in ``dims`` and seed in ``proj_seeds``: one row per run,
    columns t, d, proj_seed and those of ``subspace.sweep``. Every run is cached on its own, so an
    interrupted grid resumes where it stopped. ``eval_examples``: success is decided on a fixed
    subset of this many training examples (``subspace.sweep``)."""
    burn_in = checks.settings(burn_in, "burn_in")
    times = sorted(set(checks.integers(times, "times", min=0)))
    anchors = burn_in_anchors(model, data, burn_in, times)
    parts = []
    for t in times:
        table = subspace.sweep(model, data, settings, dims, proj_seeds, kind=kind,
                               anchor=anchors[t], eval_every=eval_every,
                               eval_examples=eval_examples, max_bytes=max_bytes,
                               progress=progress)  # fmt: skip
        table.insert(0, "t", t)
        parts.append(table)
    return pd.concat(parts, ignore_index=True)
