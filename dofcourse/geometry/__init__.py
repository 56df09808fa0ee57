"""Geometry of random subspaces meeting sets: the tools of chapter 04 (Gordon's escape theorem).

One idea per module:

* ``widths`` -- Gaussian width by Monte Carlo (support function or maximisation oracle) and in
  closed form; Gordon's escape bound.
* ``cones`` -- projections onto the subspace, orthant, second-order, PSD and l1 descent cones.
* ``statdim`` -- statistical dimension by Monte Carlo and in closed form (l1: Amelunxen et al.).
* ``intersect`` -- does a random subspace meet a cone: LP tests, exact formulas, l1 recovery by LP.
* ``elliptic`` -- projection onto an elliptic cone (the cone of directions into an ellipsoid).
* ``well`` -- the quadratic well: exact training in random subspaces, the sublevel-set cone.
* ``sweeps`` -- the chapter's Monte Carlo sweeps, cached on disk (``dofcourse.experiment``).
* ``figures`` -- the chapter's figures of its measurements against their predictions.
* ``demo`` -- the chapter's illustrations (drawn from a few parameters) and its widget.

Monte Carlo means are ``dofcourse.stats.Estimate`` values and thresholds are read with
``dofcourse.stats.crossing``: the course's one estimate type and one crossing convention.
"""

from dofcourse.geometry._common import random_orthonormal
from dofcourse.geometry.cones import (
    in_l1_descent,
    project_l1_descent,
    project_l1_polar,
    project_orthant,
    project_psd,
    project_soc,
    project_subspace,
    psd_dim,
    sym_to_vec,
    vec_to_sym,
)
from dofcourse.geometry.elliptic import EllipticCone
from dofcourse.geometry.intersect import (
    cap_hit_probability,
    l1_recovery,
    meets_orthant,
    nested_cap_hits,
    orthant_hit_probability,
    sparse_signal,
)
from dofcourse.geometry.statdim import (
    L1StatDim,
    gaussian_tail_moment,
    psi_l1,
    statdim_l1,
    statdim_orthant,
    statdim_psd,
    statdim_soc,
    statdim_subspace,
    statistical_dimension,
)
from dofcourse.geometry.sweeps import (
    cap_hit_rates,
    l1_sweep,
    orthant_sweep,
    well_sweep,
    well_threshold,
)
from dofcourse.geometry.well import (
    QuadraticWell,
    SuccessCurve,
    minima_from_gaussians,
    nested_minima,
    sublevel_cone,
    subspace_minimum,
    success_curve,
)
from dofcourse.geometry.widths import (
    expected_norm,
    gaussian_width,
    gordon_miss_bound,
    oracle_l1_ball,
    support_cap,
    support_l1_ball,
    support_subspace_sphere,
    width_cap,
    width_l1_ball,
)

__all__ = [
    "EllipticCone",
    "cap_hit_probability",
    "cap_hit_rates",
    "expected_norm",
    "gaussian_tail_moment",
    "gaussian_width",
    "gordon_miss_bound",
    "in_l1_descent",
    "l1_recovery",
    "l1_sweep",
    "L1StatDim",
    "meets_orthant",
    "nested_cap_hits",
    "minima_from_gaussians",
    "nested_minima",
    "oracle_l1_ball",
    "orthant_sweep",
    "orthant_hit_probability",
    "project_l1_descent",
    "project_l1_polar",
    "project_orthant",
    "project_psd",
    "project_soc",
    "project_subspace",
    "psd_dim",
    "psi_l1",
    "QuadraticWell",
    "random_orthonormal",
    "sparse_signal",
    "statdim_l1",
    "statdim_orthant",
    "statdim_psd",
    "statdim_soc",
    "statdim_subspace",
    "statistical_dimension",
    "sublevel_cone",
    "subspace_minimum",
    "success_curve",
    "SuccessCurve",
    "support_cap",
    "support_l1_ball",
    "support_subspace_sphere",
    "sym_to_vec",
    "vec_to_sym",
    "width_cap",
    "well_sweep",
    "well_threshold",
    "width_l1_ball",
]
