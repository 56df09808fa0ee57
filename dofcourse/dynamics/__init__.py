"""The phases of gradient descent: sharpness, effective parameters and gradient confusion.

Chapter 10 (Cohen et al. 2021; Wang and Roberts 2023; Sankararaman et al. 2020; MacKay 1992).
One idea per module:

* ``sharpness``: gradient descent on a quadratic and its stability edge 2/η
  (:func:`quadratic_gd`); full-batch GD of MLPs with the top Hessian eigenpairs measured along
  the way (:func:`gd_sharpness`), and how far the top eigenspace turns
  (:func:`eigenspace_overlap`);
* ``effective``: MacKay's N_eff and the chapter's sharpness-adjusted count along those runs
  (:func:`counts_along`, :func:`adjusted_count`, :func:`relative_spread`);
* ``nets``: plain deep MLPs and residual MLPs with batch normalisation (:func:`network`), at
  PyTorch's default initialisation or He's;
* ``confusion``: the confusion bound and the pairwise cosines of a mini-batch
  (:func:`confusion`, :func:`batch_confusion`), from per-example gradients computed by
  ``dofcourse.per_example.gradients`` (shared with chapter 08's GraNd);
* ``sweep``: confusion and SGD's steps to a target loss over width, depth and architecture
  (:func:`confusion_sweep`);
* ``figures``: the chapter's figures and its widget.
"""

from dofcourse.dynamics.confusion import Confusion, batch_confusion, confusion
from dofcourse.dynamics.effective import adjusted_count, counts_along, relative_spread
from dofcourse.dynamics.nets import ARCHS, INITS, network, residual_mlp
from dofcourse.dynamics.sharpness import (
    eigenspace_overlap,
    gd_sharpness,
    quadratic_gd,
    top_eigenpairs,
)
from dofcourse.dynamics.sweep import STATS, confusion_sweep

__all__ = [
    "ARCHS",
    "INITS",
    "STATS",
    "Confusion",
    "adjusted_count",
    "batch_confusion",
    "confusion",
    "confusion_sweep",
    "counts_along",
    "eigenspace_overlap",
    "gd_sharpness",
    "network",
    "quadratic_gd",
    "relative_spread",
    "residual_mlp",
    "top_eigenpairs",
]
