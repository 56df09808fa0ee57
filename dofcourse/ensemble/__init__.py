"""E networks of one architecture trained together, as one vectorised computation.

A phase-transition plot (chapter 05) needs hundreds of trainings per curve; iterative magnitude
pruning (chapter 07) trains replicas at every level; EL2N scores (chapter 08) average ten networks.
Training them one after another leaves most of a GPU idle and, on a CPU, pays Python's per-step
overhead E times. Here the E members are rows of one tensor and move together:

* the network is a pure function f(theta, x) of its flat parameters (``params.Functional``);
  ``torch.func.vmap`` evaluates it for all E parameter vectors theta (E, D) in one call (on a
  CPU a convolutional network's members run one after another instead: ``members_outputs``);
* each member is described by its own trainable coordinates u_e (a row of U (E, k)) and a map
  u -> theta given by a *parametrisation* (:class:`Members`): :class:`Free` (theta = u, optionally
  times a pruning mask, chapters 01, 07, 08) or ``subspace.Affine`` (theta = theta_0 + P z,
  chapters 03, 05, 06);
* the summed loss of all members is differentiated once: members do not interact, so each row of
  U receives exactly its own gradient; one ``torch.optim`` optimiser steps all rows (SGD and Adam
  act entry by entry, so this is E independent optimisers);
* all members see the same mini-batches (``settings.order_seed``), or each its own order
  (``order_seeds``: replicas for instability analysis, chapter 07) and its own pool of examples
  (``pools``: training on data subsets, chapter 08).

Tests pin that an ensemble equals its members trained one at a time with ``dofcourse.train``.

The parts: ``members`` (``Members``, ``Free``, ``EnsembleRun``), ``batches`` (the mini-batch
orders and pools), ``evaluate`` (losses, ``evaluate_members``, ``check_examples``: the one
check of networks-at-points and examples), ``guard`` (chapter 01's step guard) and ``trainer``
(``train_members``; which members still train is ``dofcourse.divergence.Monitor``'s).
"""

from dofcourse.ensemble.evaluate import LOSSES, check_examples, evaluate_members, members_outputs
from dofcourse.ensemble.members import EnsembleRun, Free, Members
from dofcourse.ensemble.trainer import train_members

__all__ = [
    "LOSSES",
    "Members",
    "Free",
    "EnsembleRun",
    "check_examples",
    "evaluate_members",
    "members_outputs",
    "train_members",
]
