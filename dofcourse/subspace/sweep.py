"""Many subspace trainings over a grid of (d, projection seed): cached per run, resumable.

:func:`sweep` is the workhorse of chapters 03, 05 and 06. It runs :func:`runs`, a batched
experiment (``dofcourse.experiment``): every grid point is cached on its own under the key of its
complete call (model, data, settings, kind, anchor, d, seed), missing points are trained as
vectorised ensembles (``subspace.train_ensemble``) in chunks sorted by d (similar d together, so
the padding to d_max stays small), and each chunk is stored as soon as it finishes: an
interrupted sweep resumes. The result is a long table, one row per run.

A chunk never needs more memory than ``max_bytes``: the stored projections (dense, orthonormal)
and the per-member work space of the implicit ones (sparse, Fastfood) are estimated before
anything is allocated, and the chunk is made smaller to fit (down to one member, which must fit
on its own).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from torch import Tensor, nn

from dofcourse import checks, experiment, train
from dofcourse.params import count
from dofcourse.projections import DEFAULT_MAX_BYTES, KINDS, ensemble_bytes
from dofcourse.settings import TrainSettings
from dofcourse.subspace.affine import train_ensemble

CHUNK = 32  # members per vectorised ensemble: enough to fill two CPU cores, small on a GPU
STORED = ("dense", "orthonormal", "basis")  # members padded to the chunk's largest d


def plan_chunks(points: list[dict], fixed: dict) -> list[list[dict]]:
    """Cut points (sorted by d) into chunks of at most ``CHUNK`` members whose estimated memory
    (``projections.ensemble_bytes``, the estimate ``stack_projections`` checks) stays within
    ``max_bytes``. For stored
    matrices (dense, orthonormal) every member of a chunk is padded to its largest d, so a chunk
    also ends where d exceeds twice the chunk's smallest d (padding at most doubles the work).
    Chapter 03."""
    D = count(fixed["model"])
    size = next(p for p in fixed["model"].parameters() if p.requires_grad).element_size()
    kind, budget = fixed.get("kind", "fastfood"), fixed.get("max_bytes", DEFAULT_MAX_BYTES)
    chunks: list[list[dict]] = []
    part: list[dict] = []
    for p in points:
        need = ensemble_bytes(kind, D, [q["d"] for q in part] + [p["d"]], size)
        padded = kind in STORED and bool(part) and p["d"] > 2 * part[0]["d"]
        if part and (len(part) == CHUNK or need > budget or padded):
            chunks.append(part)
            part = []
        part.append(p)
    if part:
        chunks.append(part)
    return chunks


@experiment.batched(axes=("d", "proj_seed"), chunk=plan_chunks, sort_by=("d", "proj_seed"),
                    ignore=("bars",))  # fmt: skip
def runs(
    points: list[dict],
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    kind: str = "fastfood",
    anchor: Tensor | None = None,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    bars: bool = True,
    basis: Tensor | None = None,
) -> list[dict]:
    """Train the subspaces at ``points`` ({"d", "proj_seed"}) as one ensemble; one dict per run:
    final and best (over the evaluations) accuracies, the evaluation curve, and z. ``bars``: a
    progress bar per ensemble (not part of the key; ``grid`` has its own ``progress``).
    Chapter 03."""
    out = train_ensemble(model, data, settings, [p["d"] for p in points],
                         [p["proj_seed"] for p in points], kind=kind, anchor=anchor,
                         eval_every=eval_every, eval_examples=eval_examples,
                         max_bytes=max_bytes, progress=bars, basis=basis)  # fmt: skip
    return [
        {
            "loss": r.loss,
            "train_acc": r.train_acc,
            "test_acc": r.test_acc,
            "best_train_acc": float(np.max(r.history.train_acc)),
            "best_test_acc": float(np.max(r.history.test_acc)),
            "diverged": r.diverged,
            "eval_steps": r.history.step,
            "train_acc_curve": r.history.train_acc,
            "test_acc_curve": r.history.test_acc,
            "z": r.z,
        }
        for r in out
    ]


def sweep(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    dims: Sequence[int],
    proj_seeds: Sequence[int],
    *,
    kind: str = "fastfood",
    anchor: Tensor | None = None,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    executor: object = None,
    progress: bool = True,
    basis: Tensor | None = None,
) -> pd.DataFrame:
    """Every (d, proj_seed) in dims x proj_seeds trained in a subspace of ``model``; one row per
    run with columns d, proj_seed, loss, train_acc, test_acc, best_train_acc, best_test_acc,
    diverged, eval_steps, train_acc_curve, test_acc_curve, z. See the module text.

    ``executor`` runs the chunks elsewhere (``experiment.grid``). Use :func:`accuracy_table` for
    the (n_seeds, n_dims) array of one column. ``basis``: the directions of the given kinds
    "basis" and "coordinates", the seed picking one of a stack (chapter 06). ``eval_examples``:
    the accuracies and losses are measured on a fixed subset of this many training examples
    (chapter 05's full mode). Chapter 03.
    """
    kind = checks.choice(kind, "kind", KINDS)
    dims = checks.integers(dims, "dims", min=1, max=count(model))
    proj_seeds = checks.seeds(proj_seeds, "proj_seeds")
    settings = checks.settings(settings)
    return experiment.grid(runs, {"d": dims, "proj_seed": proj_seeds}, model=model, data=data,
                           settings=settings, kind=kind, anchor=anchor, eval_every=eval_every,
                           eval_examples=eval_examples, max_bytes=max_bytes, bars=progress,
                           basis=basis, executor=executor, progress=progress,
                           desc=f"sweep {kind}")  # fmt: skip


def accuracy_table(table: pd.DataFrame, column: str = "test_acc") -> np.ndarray:
    """One column of a :func:`sweep` table as an array (n_seeds, n_dims), d increasing.
    Chapter 03."""
    if not isinstance(table, pd.DataFrame) or not {"d", "proj_seed"} <= set(table.columns):
        raise TypeError(f"table must be a table made by sweep, got {type(table).__name__}")
    if not isinstance(column, str) or column not in table.columns:
        raise ValueError(f"column must be one of {list(table.columns)}, got {column!r}")
    wide = table.pivot(index="proj_seed", columns="d", values=column).sort_index(axis=1)
    return wide.to_numpy(dtype=float)
