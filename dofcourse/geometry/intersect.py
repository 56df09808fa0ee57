"""Does a random subspace meet a cone? Linear-programming tests, exact formulas, recovery by LP.

* :func:`meets_orthant` -- for each basis P (n, D, d), whether span(P) meets the nonnegative orthant
  in a nonzero point: max 1^T P z s.t. P z >= 0, 1^T P z <= 1 is 1 exactly then (else 0).
  The n problems are stacked into one block-diagonal LP (``block`` at a time), one HiGHS call.
* :func:`orthant_hit_probability` -- the exact answer, from Wendel's (1962) theorem and Gordan's
  alternative: P = 1 - 2^-(D-1) sum_{j < D-d} C(D-1, j) (= 1/2 at d = D/2).
* :func:`cap_hit_probability` -- a random d-subspace meets the circular cone of half-angle alpha
  around e iff ||P^T e|| >= cos alpha, and ||P^T e||^2 ~ Beta(d/2, (D-d)/2).
* :func:`l1_recovery` -- basis pursuit min ||x||_1 s.t. A x = b as an LP (x = u - v, u, v >= 0),
  stacked over trials; success when the s-sparse x0 is recovered.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, sparse, special, stats
from scipy.optimize import linprog
from threadpoolctl import threadpool_limits

from dofcourse import checks
from dofcourse.geometry._common import (
    check_angle as _check_angle,
)
from dofcourse.geometry._common import (
    check_dims,
    check_positive_int,
    check_subspace_dims,
)


def _solve_blocks(c, a_ub, b_ub, a_eq, b_eq, bounds) -> np.ndarray:
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linear program failed: {res.message}")
    return res.x


def meets_orthant(p: np.ndarray, block: int = 50) -> np.ndarray:
    """Boolean (n,): does span(p[i]) contain a nonzero nonnegative vector? ``p`` is (n, D, d).
    Chapter 04."""
    p = checks.array(p, "p", ndim=3)
    block = check_positive_int(block, "block")
    n, D, d = p.shape
    check_dims(D, d)
    out = np.zeros(n, dtype=bool)
    for start in range(0, n, block):
        ps = p[start : start + block]
        b = ps.shape[0]
        # per block: variables z (d); rows -P z <= 0 and 1^T P z <= 1; maximise 1^T P z
        rows = [sparse.csr_matrix(np.vstack([-q, q.sum(axis=0)])) for q in ps]
        rhs = np.tile(np.append(np.zeros(D), 1.0), b)
        cost = -np.concatenate([q.sum(axis=0) for q in ps])
        z = _solve_blocks(cost, sparse.block_diag(rows, "csr"), rhs, None, None, (None, None))
        out[start : start + b] = np.einsum("bDd,bd->b", ps, z.reshape(b, d)) > 0.5
    return out


def orthant_hit_probability(D: int, d: int | np.ndarray) -> np.ndarray:
    """Exact P(a uniformly random d-dimensional subspace of R^D meets the orthant nontrivially).
    Chapter 04."""
    D = check_positive_int(D, "D")
    d = check_subspace_dims(d, D)
    # P(miss) = P(the D columns of a (D-d) x D Gaussian matrix lie in an open half-space)
    return 1.0 - stats.binom.cdf(D - d - 1, D - 1, 0.5)


def cap_hit_probability(D: int, d: int | np.ndarray, alpha: float) -> np.ndarray:
    """Exact P(a random d-subspace of R^D meets the circular cone of half-angle alpha).
    Chapter 04."""
    D = check_positive_int(D, "D")
    d = check_subspace_dims(d, D).astype(float)
    alpha = _check_angle(alpha)
    inner = np.clip(d, 1e-12, D - 1e-12)
    p = special.betainc(inner / 2, (D - inner) / 2, math.cos(alpha) ** 2)
    return np.where(d == 0, 0.0, np.where(d == D, 1.0, 1.0 - p))


def nested_cap_hits(D: int, alpha: float, n: int, seed: int = 0) -> np.ndarray:
    """Monte Carlo over random subspaces: hits[i, d] = span(G_i[:, :d]) meets the cap, d = 0..D.

    The first d columns of one D x D Gaussian matrix G = Q R span a random d-subspace, nested in d;
    it meets the circular cone around e_1 iff sum_{j<d} Q[0, j]^2 >= cos^2 alpha. The first row
    of Q is G[0] R^-1, so only R is needed (no Q is formed). Chapter 04.
    """
    D, n = check_positive_int(D, "D"), check_positive_int(n, "n")
    alpha = _check_angle(alpha)
    rng = np.random.default_rng(checks.seed(seed))
    first_row = np.empty((n, D))
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads only contend
        for i in range(n):
            g = rng.standard_normal((D, D))
            r = linalg.qr(g, mode="r", check_finite=False)[0]
            first_row[i] = linalg.solve_triangular(r, g[0], trans="T", check_finite=False)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(first_row**2, axis=1)], axis=1)
    return cum >= math.cos(alpha) ** 2


def sparse_signal(D: int, s: int, rng: np.random.Generator) -> np.ndarray:
    """An s-sparse vector of R^D: random support, random signs, magnitudes 1 (shape (D,)).
    Chapter 04."""
    D, s = check_dims(D, s, "s")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    x = np.zeros(D)
    x[rng.choice(D, size=s, replace=False)] = rng.choice([-1.0, 1.0], size=s)
    return x


def l1_recovery(
    D: int, s: int, m: int, n: int, seed: int = 0, block: int = 25, rtol: float = 1e-5
) -> np.ndarray:
    """Boolean (n,): does basis pursuit recover a random s-sparse x0 from m Gaussian rows?
    Chapter 04."""
    D, s = check_dims(D, s, "the sparsity s")
    m = check_dims(D, m, "the number of measurements m")[1]
    n = check_positive_int(n, "n")
    block = check_positive_int(block, "block")
    rtol = checks.real(rtol, "rtol", min=0.0, open_min=True)
    if s == 0:
        raise ValueError("the sparsity s must be at least 1")
    if m == 0:
        return np.zeros(n, dtype=bool)
    rng = np.random.default_rng(checks.seed(seed))
    out = np.zeros(n, dtype=bool)
    for start in range(0, n, block):
        b = min(block, n - start)
        a = rng.standard_normal((b, m, D))
        x0 = np.stack([sparse_signal(D, s, rng) for _ in range(b)])
        rhs = np.einsum("bmd,bd->bm", a, x0).ravel()
        eq = sparse.block_diag([sparse.csr_matrix(np.hstack([ai, -ai])) for ai in a], "csr")
        uv = _solve_blocks(np.ones(2 * D * b), None, None, eq, rhs, (0, None)).reshape(b, 2 * D)
        xhat = uv[:, :D] - uv[:, D:]
        err = np.linalg.norm(xhat - x0, axis=1) / np.linalg.norm(x0, axis=1)
        out[start : start + b] = err <= rtol
    return out
