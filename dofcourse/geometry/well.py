"""The quadratic well L(theta) = 1/2 (theta - theta*)^T H (theta - theta*), trained in subspaces.

Training inside the random affine subspace theta_0 + span(P) (P of shape (D, d), orthonormal)
succeeds at target eps when min_z L(theta_0 + P z) <= eps. With c = theta_0 - theta* that minimum is

    L_min(P) = 1/2 c^T H c - 1/2 (P^T H c)^T (P^T H P)^-1 (P^T H c),

so the success probability is a probability over P alone (:func:`subspace_minimum`). The first d
columns of one Gaussian D x D matrix G span nested random subspaces; with G^T H G = C C^T
(Cholesky) and y = C^-1 G^T H c, L_min(d) = 1/2 c^T H c - 1/2 sum_{i <= d} y_i^2 for every d at
once (:func:`nested_minima`, :func:`success_curve`).

Geometrically, the subspace succeeds iff it meets the cone K of directions from theta_0 into the
sublevel set {L <= eps}: v in K iff (v^T H c)^2 >= (c^T H c - 2 eps) v^T H v and v^T H c <= 0, an
elliptic cone (:func:`sublevel_cone`). Gordon's theorem bounds the failure side (a subspace of
codimension well above w(K ∩ sphere)^2 misses K); K being convex, the approximate kinematic
formula adds the success side, so the threshold is d* ~ D - w(K ∩ sphere)^2 ~ D - delta(K).
Chapter 04.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from threadpoolctl import threadpool_limits

from dofcourse import checks, stats
from dofcourse.geometry._common import check_positive_int
from dofcourse.geometry.elliptic import EllipticCone


@dataclass(frozen=True)
class QuadraticWell:
    """A well with Hessian ``h`` (D, D), symmetric positive definite, and minimum ``theta_star``
    (chapter 04, section 5)."""

    h: np.ndarray
    theta_star: np.ndarray

    def __post_init__(self):
        h = checks.array(self.h, "h", ndim=2)
        if h.shape[0] != h.shape[1]:
            raise ValueError(f"h (the Hessian H) must be a square matrix, got shape {h.shape}")
        if not np.allclose(h, h.T, rtol=1e-10, atol=1e-12):
            raise ValueError("h (the Hessian H) must be symmetric (got a non-symmetric matrix)")
        if np.linalg.eigvalsh(h)[0] <= 0:
            raise ValueError("h (the Hessian H) must be positive definite (all eigenvalues > 0)")
        star = checks.array(self.theta_star, "theta_star", ndim=1)
        if star.shape != (h.shape[0],):
            raise ValueError(f"theta_star must have shape ({h.shape[0]},), got {star.shape}")
        object.__setattr__(self, "h", h)
        object.__setattr__(self, "theta_star", star)

    @classmethod
    def from_spectrum(cls, eigenvalues: np.ndarray) -> QuadraticWell:
        """The diagonal well H = diag(eigenvalues), minimum at 0 (a rotation changes nothing).
        Chapter 04."""
        lam = np.asarray(eigenvalues, dtype=float)
        return cls(np.diag(lam), np.zeros(lam.size))

    @property
    def D(self) -> int:  # noqa: N802 (the course's name for it)
        """The number of parameters D of the well (chapter 04)."""
        return self.h.shape[0]

    def loss(self, theta: np.ndarray) -> np.ndarray:
        """L(theta) for theta of shape (D,) or (n, D). Chapter 04."""
        c = np.atleast_2d(theta) - self.theta_star
        return 0.5 * np.einsum("ni,ij,nj->n", c, self.h, c)

    def start_at_loss(self, loss0: float, seed: int = 0) -> np.ndarray:
        """A start theta_0 in a random direction (drawn from ``seed``) from theta*, scaled so that
        L(theta_0) = loss0. Chapter 04."""
        loss0 = checks.real(loss0, "the starting loss loss0", min=0.0, open_min=True)
        u = np.random.default_rng(checks.seed(seed)).standard_normal(self.D)
        return self.theta_star + u * np.sqrt(loss0 / self.loss(self.theta_star + u)[0])

    def _check(self, theta0: np.ndarray, eps: float) -> np.ndarray:
        checks.real(eps, "the target loss eps", min=0.0)
        theta0 = checks.array(theta0, "theta0", ndim=1)
        if theta0.shape != (self.D,):
            raise ValueError(f"theta0 must have shape ({self.D},), got {theta0.shape}")
        if self.loss(theta0)[0] <= eps:
            raise ValueError(
                "theta0 already has L <= eps: every subspace succeeds (choose a "
                "smaller eps or a start farther from the minimum)"
            )
        return theta0


def subspace_minimum(well: QuadraticWell, theta0: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exact min of L over theta0 + span(p) for p of shape (D, d) or (n, D, d); shape (n,).
    Chapter 04."""
    c = _start(well, theta0)
    p = checks.array(p, "p", ndim=(2, 3))
    p = p[None] if p.ndim == 2 else p
    if p.ndim != 3 or p.shape[1] != well.D or p.shape[2] > well.D:
        raise ValueError(
            f"P must have shape (D, d) or (n, D, d) with D={well.D} and d <= D, got {p.shape}"
        )
    hc = well.h @ c
    m = np.einsum("nid,ij,nje->nde", p, well.h, p)
    b = np.einsum("nid,i->nd", p, hc)
    z = np.linalg.solve(m, b[..., None])[..., 0]
    return 0.5 * c @ hc - 0.5 * np.sum(b * z, axis=1)


def nested_minima(well: QuadraticWell, theta0: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Minima (n, D + 1) of L over theta0 + span(G_k[:, :d]), d = 0..D, for n Gaussian G_k (D, D).

    The first d columns of a Gaussian matrix span a uniformly random d-subspace, nested in d.
    With the Cholesky factor G^T H G = C C^T and y = C^-1 G^T H c, the minimum over the first d
    columns is 1/2 c^T H c - 1/2 sum_{i <= d} y_i^2 (C's leading block is the factor of the
    leading block), so one factorisation gives every d. Chapter 04.
    """
    _start(well, theta0)
    n = check_positive_int(n, "n")
    rng = np.random.default_rng(checks.seed(seed))
    return minima_from_gaussians(
        well, theta0, (rng.standard_normal((well.D, well.D)) for _ in range(n))
    )


def minima_from_gaussians(well: QuadraticWell, theta0: np.ndarray, gs) -> np.ndarray:
    """:func:`nested_minima` for given Gaussian matrices ``gs`` (an iterable of (D, D) arrays);
    chapter 04."""
    c = _start(well, theta0)
    hc = well.h @ c
    if isinstance(gs, str | bytes) or not hasattr(gs, "__iter__"):
        raise TypeError(f"gs must be an iterable of ({well.D}, {well.D}) arrays, got {gs!r:.60}")
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads only contend
        for i, g in enumerate(gs):
            g = checks.array(g, f"gs[{i}]", ndim=2)
            if g.shape != (well.D, well.D):
                raise ValueError(f"gs[{i}] must have shape ({well.D}, {well.D}), got {g.shape}")
            chol = linalg.cholesky(g.T @ (well.h @ g), lower=True, check_finite=False)
            y = linalg.solve_triangular(chol, g.T @ hc, lower=True, check_finite=False)
            rows.append(np.concatenate([[0.0], np.cumsum(y**2)]))
    return 0.5 * c @ hc - 0.5 * np.array(rows)


def _start(well: QuadraticWell, theta0: np.ndarray) -> np.ndarray:
    """theta0 - theta* for a checked well and start theta0 (D,)."""
    if not isinstance(well, QuadraticWell):
        raise TypeError(f"well must be a geometry.QuadraticWell, got {type(well).__name__}")
    theta0 = checks.array(theta0, "theta0", ndim=1)
    if theta0.shape != (well.D,):
        raise ValueError(f"theta0 must have shape ({well.D},), got {theta0.shape}")
    return theta0 - well.theta_star


@dataclass(frozen=True)
class SuccessCurve:
    """P(min over a random d-subspace <= eps) for d = 0..D, from n random nested subspaces
    (chapter 04)."""

    d: np.ndarray  # (D + 1,)
    p: np.ndarray  # (D + 1,)
    n: int

    def threshold(self, level: float = 0.5) -> float:
        """The d where the success probability first reaches ``level`` (``stats.crossing``:
        interpolated; inf if never). Chapter 04."""
        return stats.crossing(self.d, self.p, level)

    def width(self, lo: float = 0.1, hi: float = 0.9) -> float:
        """Transition width: the d where P reaches ``hi`` minus the d where it reaches ``lo``.
        Chapter 04."""
        return self.threshold(hi) - self.threshold(lo)


def success_curve(
    well: QuadraticWell, theta0: np.ndarray, eps: float, n: int = 200, seed: int = 0
) -> SuccessCurve:
    """Success probability of training in a random d-subspace through theta0, for every d
    (chapter 04)."""
    _start(well, theta0)
    theta0 = well._check(theta0, eps)
    minima = nested_minima(well, theta0, n, seed)
    return SuccessCurve(np.arange(well.D + 1), (minima <= eps).mean(axis=0), n)


def sublevel_cone(well: QuadraticWell, theta0: np.ndarray, eps: float) -> EllipticCone:
    """The cone of directions v with theta0 + t v in {L <= eps} for some t > 0 (chapter 04)."""
    _start(well, theta0)
    theta0 = well._check(theta0, eps)
    if eps == 0:
        raise ValueError("eps must be positive for the sublevel cone (at eps = 0 it is one ray)")
    c = theta0 - well.theta_star
    hc = well.h @ c
    n_matrix = (c @ hc - 2 * eps) * well.h - np.outer(hc, hc)
    return EllipticCone(n_matrix, inside=-c)
