"""The Hessian of a network's loss, seen through Hessian-vector products (chapter 02).

One idea per module:

* ``operator`` -- :class:`HessianOperator`: products H v (``jvp`` of ``grad``) and the
  Gauss–Newton / residual split, for an ``nn.Module`` or any pure network ``params.Functional``.
* ``exact`` -- dense matrices for small models: the course's one exact Hessian
  (:func:`hessian_matrix`, also used by chapter 01), :func:`exact_hessian`, :func:`dense`,
  :func:`exact_gauss_newton`.
* ``lanczos`` -- top eigenpairs: :func:`lanczos`, :func:`lanczos_eigs`, :func:`power_iteration`.
* ``density`` -- :func:`hutchinson_trace` (a ``stats.Estimate``) and the spectral density by
  stochastic Lanczos quadrature (:func:`slq`).
* ``outliers`` -- :func:`count_outliers`, :func:`bulk_scale`, MacKay's
  :func:`effective_parameters` (and from SLQ).
* ``classifiers`` -- the cached experiments of chapter 02: trained MLPs, their spectra.
* ``evolution`` -- a summary per training checkpoint, its figure and slider.

Vectors live in the flat parameter space theta (D,) of ``dofcourse.params``.
"""

from dofcourse.hessian._base import LinearOperator, Part, as_xy
from dofcourse.hessian.classifiers import (
    Spectrum,
    classifier,
    gauss_newton_parts,
    spectrum,
    train_classifiers,
)
from dofcourse.hessian.density import SpectralDensity, hutchinson_trace, slq
from dofcourse.hessian.evolution import (
    SpectrumSummary,
    summaries,
    summarize,
)
from dofcourse.hessian.exact import dense, exact_gauss_newton, exact_hessian, hessian_matrix
from dofcourse.hessian.lanczos import (
    LanczosResult,
    lanczos,
    lanczos_eigs,
    power_iteration,
    start_vector,
)
from dofcourse.hessian.operator import HessianOperator, hessian_operator
from dofcourse.hessian.outliers import (
    bulk_scale,
    count_outliers,
    effective_parameters,
    effective_parameters_slq,
    outlier_split,
)

__all__ = [
    "HessianOperator",
    "LanczosResult",
    "LinearOperator",
    "Part",
    "SpectralDensity",
    "Spectrum",
    "SpectrumSummary",
    "as_xy",
    "bulk_scale",
    "classifier",
    "count_outliers",
    "dense",
    "effective_parameters",
    "effective_parameters_slq",
    "exact_gauss_newton",
    "exact_hessian",
    "gauss_newton_parts",
    "hessian_matrix",
    "hessian_operator",
    "hutchinson_trace",
    "lanczos",
    "lanczos_eigs",
    "outlier_split",
    "power_iteration",
    "slq",
    "spectrum",
    "start_vector",
    "summaries",
    "summarize",
    "train_classifiers",
]
