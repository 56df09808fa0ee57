"""Random projections P: R^d -> R^D for training inside a random affine subspace.

A subspace training writes the parameters as theta = theta_0 + P z with z in R^d and trains only z
(Li et al. 2018; Larsen et al. 2022). This module builds P. Every kind

* is made from an integer seed, so a subspace is reproducible without storing it;
* has the same column scaling: **each column of P has unit Euclidean norm in expectation**
  (E ||P e_j||^2 = 1), the convention of Li et al. and Larsen et al. With this scaling a step of
  size eta in z moves theta by about eta, whatever d and D are, so one learning rate serves every d;
* applies z -> P z and v -> P^T v on batches: z of shape (..., d) gives (..., D).

Kinds (``make_projection(kind, D, d, seed)``):

=============  =========================================================  =============  ========
kind           construction                                               memory         P z cost
=============  =========================================================  =============  ========
"dense"        i.i.d. N(0, 1/D) entries                                   D d floats     O(D d)
"sparse"       +-c at ~rho D d random positions, rho = 1/sqrt(D) (*)     ~ d sqrt(D)    O(d sqrt D)
"fastfood"     scale * H G Pi H B (padded to L = 2^ceil(log2 D) rows)     O(D)           O(D log D)
"orthonormal"  Q of the QR decomposition of a Gaussian D x d matrix       D d floats     O(D d)
"identity"     P = I (d = D); ordinary training written as a subspace     nothing        O(D)
"basis"        the first d columns of a given orthonormal D x k basis     D d floats     O(D d)
"coordinates"  unit columns e_i at the first d of a given list of         d indices      O(d)
               coordinates (and the others held at zero, below)
=============  =========================================================  =============  ========

(*) Li et al.'s very sparse projection (Li, Hastie and Church 2006): each entry non-zero with
probability about rho. Positions are drawn with replacement and repeats merged, which keeps
about rho D d (1 - rho/2) of them; c = sqrt(d / number kept) restores E ||P e_j||^2 = 1.

The two **given** kinds (chapter 06) are not random: their directions come with the call, as
``basis=``. "basis" takes an orthonormal (D, k) matrix (every seed uses it), or a stack
(S, D, k) of them from which the seed picks one (a lottery subspace: the top singular vectors of
a training trajectory, one per trajectory). "coordinates" takes a list (D',) of distinct
coordinate indices in order of priority, or a stack (S, D') of them: member e trains the first
d_e of them and every other weight is held at **zero** (its ``anchor_mask``; ``subspace.Affine``
multiplies the anchor by it), so it is a sparse network, a lottery ticket, trained as a subspace.

Dense, orthonormal and basis matrices are refused, before anything is allocated, when their D d
floats exceed ``max_bytes`` (1 GiB by default).

For ensembles, ``stack_projections`` joins projections of one kind (different seeds, different d)
into a ``StackedProjection`` that maps Z of shape (E, d_max) to (E, D) in one vectorised
computation; member e uses only the first d_e entries of its row of Z (``mask`` marks them).

Where each part lives: ``base`` (``StackedProjection``, the kinds' names), ``dense`` (dense,
orthonormal, identity), ``sparse``, ``fastfood`` (on ``hadamard``, the fast Walsh-Hadamard
transform), ``given`` (basis, coordinates), ``budget`` (memory estimates, the one budget check)
and ``factory`` (``stack_projections``, ``make_projection``, ``Projection``).
"""

from dofcourse.projections.base import DEFAULT_MAX_BYTES, GIVEN, KINDS, StackedProjection
from dofcourse.projections.budget import ESTIMATE_MARGIN as ESTIMATE_MARGIN
from dofcourse.projections.budget import ensemble_bytes, member_bytes
from dofcourse.projections.dense import orthonormal_basis as orthonormal_basis
from dofcourse.projections.factory import Projection, make_projection, stack_projections
from dofcourse.projections.hadamard import fwht

__all__ = [
    "KINDS",
    "GIVEN",
    "DEFAULT_MAX_BYTES",
    "Projection",
    "StackedProjection",
    "make_projection",
    "stack_projections",
    "fwht",
    "member_bytes",
    "ensemble_bytes",
]
