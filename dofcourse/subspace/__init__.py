"""Training inside random affine subspaces theta = theta_0 + P z (chapters 03, 05, 06).

One idea per module:

* ``affine``: the :class:`Affine` parametrisation of the shared ensemble trainer, one subspace
  training (:func:`train_subspace`) or many at once (:func:`train_ensemble`), and burn-in anchors
  (:func:`burn_in`);
* ``sweep``: a cached, resumable grid of runs over (d, projection seed) as a table (:func:`sweep`);
* ``intrinsic``: d_int90 with a bootstrap interval (:func:`intrinsic_dimension`) against the full
  model trained the same way (:func:`train_full`, cached);
* ``plane``: the loss on a random plane and the cost of a step (:func:`loss_on_plane`,
  :func:`time_per_step`);
* ``figures``: chapter 03's figures, drawn from these results (imported by the chapter, not here).
"""

from dofcourse.subspace.affine import (
    Affine,
    SubspaceRun,
    burn_in,
    check_anchor,
    train_ensemble,
    train_subspace,
)
from dofcourse.subspace.intrinsic import intrinsic_dimension, train_full
from dofcourse.subspace.plane import loss_on_plane, time_per_step
from dofcourse.subspace.sweep import accuracy_table, runs, sweep

__all__ = [
    "Affine",
    "SubspaceRun",
    "accuracy_table",
    "burn_in",
    "check_anchor",
    "train_full",
    "intrinsic_dimension",
    "loss_on_plane",
    "runs",
    "sweep",
    "time_per_step",
    "train_ensemble",
    "train_subspace",
]
