"""Leverage-score sampling: solving least squares from a few rows (appendix A1).

Drineas, Mahoney and Muthukrishnan (2006); Larsen and Kolda (2022). One idea per module:

* ``leverage``: leverage scores from a thin QR, and a coherent test problem with a few
  high-leverage rows;
* ``sampled_ls``: least squares from rows drawn uniformly or by leverage score, with importance
  weights; Larsen and Kolda's hybrid sample (high-leverage rows included deterministically,
  repeated draws combined); the cached residual sweep over the number of rows;
* ``khatri_rao``: the factors' leverage scores as a bound on a Khatri–Rao product's, and sampling
  its rows without forming it;
* ``cp_als``: CP decomposition by alternating least squares, exact or leverage-sampled;
* ``reference``: tensorly's ``parafac`` on the same tensor, and the three methods side by side.
"""

from dofcourse.sketching.cp_als import (
    CPResult,
    cp_als,
    cp_fit,
    cp_tensor,
    low_rank_tensor,
    mttkrp,
    random_factors,
    unfold,
)
from dofcourse.sketching.khatri_rao import (
    khatri_rao,
    kr_leverage_bound,
    kr_rows,
    sample_kr_rows,
)
from dofcourse.sketching.leverage import leverage_scores, orthonormal_range, spiked_system
from dofcourse.sketching.reference import compare_cp, have_tensorly, tensorly_cp
from dofcourse.sketching.sampled_ls import (
    combine_repeats,
    draw_rows,
    draw_rows_hybrid,
    probabilities,
    residual,
    residual_sweep,
    rows_needed,
    sample_rows,
    sampled_lstsq,
)

__all__ = [
    "CPResult",
    "combine_repeats",
    "compare_cp",
    "cp_als",
    "cp_fit",
    "cp_tensor",
    "draw_rows",
    "draw_rows_hybrid",
    "have_tensorly",
    "khatri_rao",
    "kr_leverage_bound",
    "kr_rows",
    "leverage_scores",
    "low_rank_tensor",
    "mttkrp",
    "orthonormal_range",
    "probabilities",
    "random_factors",
    "residual",
    "residual_sweep",
    "rows_needed",
    "sample_kr_rows",
    "sample_rows",
    "sampled_lstsq",
    "spiked_system",
    "tensorly_cp",
    "unfold",
]
