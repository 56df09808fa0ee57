"""Lottery tickets on a data diet: which examples the early training needs (chapter 08).

One idea per module:

* ``scores``: EL2N and GraNd scores of every training example from K networks trained as one
  ensemble (:func:`scores`, :func:`el2n`, :func:`grand`; per network: :func:`el2n_per_network`,
  :func:`grand_per_network` with ``vmap(grad)``);
* ``subsets``: the easiest, hardest (:func:`by_score`, :func:`easiest`, :func:`hardest`) or
  random (:func:`random_subset`) examples, optionally class-balanced;
* ``training``: training on subsets (:func:`train_on_subsets`; data pruning as one table,
  :func:`data_pruning`), pre-training on a subset before IMP (:func:`diet_start` for
  ``pruning.imp_grid``, :func:`diet_rewind`, :func:`diet_lottery`), and the number of linearly
  mode connected examples at a pre-trained point (:func:`connected_examples`).
"""

from dofcourse.diet.scores import (
    KINDS,
    el2n,
    el2n_per_network,
    grand,
    grand_per_network,
    scores,
)
from dofcourse.diet.subsets import by_score, easiest, hardest, random_subset
from dofcourse.diet.training import (
    DIETS,
    connected_examples,
    data_pruning,
    diet_lottery,
    diet_rewind,
    diet_start,
    train_on_subsets,
)

__all__ = [
    "DIETS",
    "KINDS",
    "by_score",
    "connected_examples",
    "data_pruning",
    "diet_lottery",
    "diet_rewind",
    "diet_start",
    "easiest",
    "el2n",
    "el2n_per_network",
    "grand",
    "grand_per_network",
    "hardest",
    "random_subset",
    "scores",
    "train_on_subsets",
]
