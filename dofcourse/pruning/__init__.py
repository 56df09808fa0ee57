"""Pruning: masks, iterative magnitude pruning with rewinding, and its controls (chapter 07).

One idea per module:

* ``masks``: which weights may be pruned (:func:`prunable`), one level of global magnitude
  pruning (:func:`magnitude_prune`), a random mask with the same per-layer sparsity
  (:func:`random_like`), :func:`density`;
* ``rewind``: the chapters' network (:func:`network`), replicas' initialisations
  (:func:`initial_points`), rewind points theta_k (:func:`rewind_points`, :func:`start_points`)
  and the one trainer of (sparse) members (:func:`fit`);
* ``imp``: IMP from starting points (:class:`Start`) x replica seeds as a grid experiment
  (:func:`imp_grid`, :func:`lottery`), or from given rewind points one cached level at a time
  (:func:`imp`, :func:`imp_level`), each run an :class:`ImpRun`;
* ``levels``: the level loop (train, prune, repeat) on an ensemble of replicas, and the chunks
  of grid points it runs in;
* ``controls``: random-pruning and random-reinitialisation controls (:func:`controls`, a grid)
  and cached masked training (:func:`train_masked`);
* ``recipe``: chapters 07 and 08's network and training (:func:`recipe`, a :class:`Recipe`).
"""

from dofcourse.pruning.controls import CONTROLS, controls, random_mask_gap, train_masked
from dofcourse.pruning.imp import ImpRun, Start, imp, imp_grid, imp_level, lottery
from dofcourse.pruning.masks import (
    density,
    layer_index,
    magnitude_prune,
    n_to_prune,
    prunable,
    random_like,
)
from dofcourse.pruning.recipe import Recipe, recipe
from dofcourse.pruning.rewind import (
    check_start,
    fit,
    fit_flagged,
    initial_points,
    network,
    replica_seeds,
    rewind_points,
    start_points,
)

__all__ = [
    "CONTROLS",
    "ImpRun",
    "controls",
    "random_mask_gap",
    "density",
    "imp",
    "imp_grid",
    "imp_level",
    "initial_points",
    "network",
    "layer_index",
    "lottery",
    "magnitude_prune",
    "n_to_prune",
    "prunable",
    "random_like",
    "Recipe",
    "recipe",
    "rewind_points",
    "train_masked",
    "check_start",
    "fit",
    "fit_flagged",
    "replica_seeds",
    "Start",
    "start_points",
]
