"""Lazy and rich regimes: how the scale of the initialisation sets a model's implicit bias.

Chapter 09 (Woodworth et al. 2020; Chizat, Oyallon and Bach 2019). One idea per module:

* ``interpolants``: a sparse regression problem with d > n, its minimum-l2 (pseudo-inverse) and
  minimum-l1 (linear program) interpolants;
* ``implicit_bias``: the closed-form bias Q_alpha of the diagonal linear network and its
  minimiser over the interpolants;
* ``scaled``: members with their own starting point and step size for the shared trainer;
* ``diagonal``: the diagonal network beta = u*u - v*v trained by gradient descent, one member per
  initial scale alpha, and the cached sweep over alpha;
* ``kernel``: the empirical tangent kernel and its change;
* ``lazy``: a two-layer net with output scale kappa on real data, and the cached sweep over kappa.
"""

from dofcourse.regimes.diagonal import (
    alpha_runs,
    alpha_sweep,
    beta_of,
    diagonal_net,
    step_sizes,
    train_diagonal,
)
from dofcourse.regimes.implicit_bias import bias_errors, implicit_bias, q_alpha
from dofcourse.regimes.interpolants import (
    SparseProblem,
    min_l1_interpolant,
    min_l2_interpolant,
    sparse_problem,
)
from dofcourse.regimes.kernel import kernel_change, tangent_kernel
from dofcourse.regimes.lazy import kappa_members, kappa_runs, kappa_sweep, output_scaled
from dofcourse.regimes.scaled import Scaled, plain_gd

__all__ = [
    "Scaled",
    "SparseProblem",
    "alpha_runs",
    "alpha_sweep",
    "beta_of",
    "bias_errors",
    "diagonal_net",
    "implicit_bias",
    "kappa_members",
    "kappa_runs",
    "kappa_sweep",
    "kernel_change",
    "min_l1_interpolant",
    "min_l2_interpolant",
    "output_scaled",
    "plain_gd",
    "q_alpha",
    "sparse_problem",
    "step_sizes",
    "tangent_kernel",
    "train_diagonal",
]
