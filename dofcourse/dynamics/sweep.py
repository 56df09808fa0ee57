"""Gradient confusion against width, depth and architecture, with SGD's speed beside it.

Sankararaman et al. (ICML 2020) predict that gradient confusion falls as networks get wider,
rises as plain networks get deeper, that batch normalisation with skip connections removes the
depth penalty, and that SGD is faster where confusion is lower. :func:`confusion_sweep` measures
all four on one grid of (architecture, width, depth): at each point, networks from several
``init_seeds`` (one vectorised ensemble, ``dofcourse.ensemble``) are

1. measured at initialisation: the confusion of ``n_batches`` random mini-batches
   (``confusion.batch_confusion``);
2. trained by SGD until the training loss reaches ``target_loss`` (or ``max_steps`` run out),
   which gives the steps to target (``inf`` when not reached);
3. measured again along training, after ``along_step`` SGD steps (a member that reached the
   target earlier is measured where it stopped).

Each grid point is cached as soon as it is done (``experiment.grid``), so an interrupted sweep
resumes. Chapter 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from dofcourse import checks, ensemble, experiment, train
from dofcourse.dynamics.confusion import batch_confusion
from dofcourse.dynamics.nets import ARCHS, INITS, network
from dofcourse.params import Functional, flatten
from dofcourse.settings import TrainSettings

STATS = ("eta", "eta_rel", "min_cos", "mean_cos", "frac_negative")


def _summary(net: Functional, theta: torch.Tensor, data: Any, **kw: Any) -> dict[str, Any]:
    """Each confusion statistic averaged over the batches, and the first batch's cosines."""
    per = batch_confusion(net, theta, data, **kw)
    out = {s: float(np.mean([getattr(c, s) for c in per])) for s in STATS}
    out["cosines"] = per[0].cosines
    return out


@experiment.batched(axes=("arch", "width", "depth"), chunk=1, sort_by=("arch", "width", "depth"))
def _points(
    points: list[dict],
    data: Any,
    init_seeds: tuple[int, ...],
    settings: TrainSettings,
    target_loss: float,
    eval_every: int,
    along_step: int,
    batch: int,
    n_batches: int,
    init: str = "torch",
    progress: bool = False,
) -> list[list[dict]]:
    """One list per point: a dict per init seed (confusion at init and along training, steps)."""
    results = []
    for p in points:
        nets = [network(data.input_shape, data.n_classes, width=p["width"], depth=p["depth"],
                        arch=p["arch"], init_seed=s, init=init)
                for s in init_seeds]  # fmt: skip
        net = Functional.of_module(nets[0])
        theta0 = torch.stack([flatten(m) for m in nets]).to(data.x_train.device)
        kept: dict[int, torch.Tensor] = {}

        def keep(step: int, u: torch.Tensor, kept: dict = kept) -> None:
            if step == along_step:
                kept[step] = u.detach().clone()

        run = ensemble.train_members(net, ensemble.Free(theta0), data, settings,
                                     target_loss=target_loss, eval_every=eval_every, test=False,
                                     on_eval=keep, progress=progress, desc="SGD")  # fmt: skip
        along = kept.get(along_step, run.u)
        rows = []
        for e, seed in enumerate(init_seeds):
            loss = run.history.loss[e]
            hit = np.flatnonzero(loss <= target_loss)
            steps = float(run.history.step[hit[0]]) if hit.size else float("inf")
            kw = {"batch": batch, "n_batches": n_batches, "batch_seed": seed}
            rows.append({"init_seed": seed, "D": net.D, "steps": steps,
                         "init": _summary(net, theta0[e], data, **kw),
                         "along": _summary(net, along[e], data, **kw)})  # fmt: skip
        results.append(rows)
    return results


def confusion_sweep(
    data: Any,
    *,
    archs: Sequence[str],
    widths: Sequence[int],
    depths: Sequence[int],
    init_seeds: Sequence[int],
    settings: TrainSettings,
    target_loss: float,
    eval_every: int = 10,
    along_step: int = 20,
    batch: int = 32,
    n_batches: int = 4,
    init: str = "torch",
    progress: bool = True,
) -> pd.DataFrame:
    """Confusion and SGD's steps to ``target_loss`` over the grid ``archs`` × ``widths`` ×
    ``depths`` (``nets.network``, initialised by ``init``: ``"torch"`` or ``"he"``), one network
    per init seed at each point (see the module text).

    Returns one row per (arch, width, depth, init_seed) with ``D``, ``steps`` (inf: not reached
    within ``settings.steps``), each of :data:`STATS` at initialisation (``<stat>_init``) and at
    after ``along_step`` SGD steps (``<stat>_along``; a multiple of ``eval_every``), and the first
    batch's pairwise cosines at both (``cosines_init``, ``cosines_along``, tensors
    (batch(batch−1)/2,)). Chapter 10.
    """
    if isinstance(archs, str) or not isinstance(archs, Sequence) or not archs:
        raise TypeError(f"archs must be a non-empty list of names from {ARCHS}, got {archs!r}")
    for i, a in enumerate(archs):
        checks.choice(a, f"archs[{i}]", ARCHS)
    widths = checks.integers(widths, "widths", min=1)
    depths = checks.integers(depths, "depths", min=1)
    seeds = tuple(checks.seeds(init_seeds, "init_seeds"))
    settings = checks.settings(settings)
    target_loss = checks.real(target_loss, "target_loss", min=0.0, open_min=True)
    device = getattr(getattr(data, "x_train", None), "device", "cpu")
    x, _, _, _ = train.check_data(data, torch.get_default_dtype(), device)
    eval_every = checks.integer(eval_every, "eval_every", min=1)
    along_step = checks.integer(along_step, "along_step", min=0)
    if along_step % eval_every:
        raise ValueError(
            f"along_step ({along_step}) must be a multiple of eval_every ({eval_every})"
        )
    batch = checks.integer(batch, "batch", min=2)
    n_batches = checks.integer(n_batches, "n_batches", min=1, max=len(x) // batch)
    init = checks.choice(init, "init", INITS)
    table = experiment.grid(_points, {"arch": list(archs), "width": widths, "depth": depths},
                            data=data, init_seeds=seeds, settings=settings,
                            target_loss=target_loss, eval_every=eval_every,
                            along_step=along_step, batch=batch,
                            n_batches=n_batches, init=init, progress=progress,
                            desc="confusion sweep")  # fmt: skip
    rows = []
    for _, point in table.iterrows():
        for r in point["result"]:
            row = {"arch": point["arch"], "width": point["width"], "depth": point["depth"],
                   "init_seed": r["init_seed"], "D": r["D"], "steps": r["steps"]}  # fmt: skip
            for when in ("init", "along"):
                row.update({f"{k}_{when}": v for k, v in r[when].items()})
            rows.append(row)
    return pd.DataFrame(rows)
