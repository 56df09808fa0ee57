"""Gaussian width w(S) = E sup_{x in S} <g, x>, g ~ N(0, I_D), by Monte Carlo and in closed form.

The width is the average over random directions of how far S reaches in that direction (half the
mean width of S). It is the one number that decides whether a random subspace meets S (Gordon's
escape theorem, :func:`gordon_miss_bound`).

A set is given to :func:`gaussian_width` either by its *support function* h_S(g) = sup_S <g, x>
or by a *maximisation oracle* returning the maximiser x*(g); both work on a batch g of shape
(n, D) and return (n,) values or (n, D) points. Support functions of the sets the chapter uses:

* :func:`support_subspace_sphere` -- unit sphere of the subspace spanned by the first k axes;
* :func:`support_l1_ball` -- the unit l1 ball (h = ||g||_inf); :func:`oracle_l1_ball`;
* :func:`support_cap` -- a spherical cap of half-angle alpha around e_1.

Closed forms (exact up to 1-D quadrature): :func:`expected_norm`, :func:`width_l1_ball`,
:func:`width_cap`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import integrate, special

from dofcourse import checks, stats
from dofcourse.geometry._common import check_angle, check_positive_int, mc_estimate

Support = Callable[[np.ndarray], np.ndarray]


def gaussian_width(
    D: int,
    support: Support | None = None,
    oracle: Callable[[np.ndarray], np.ndarray] | None = None,
    n: int = 2000,
    seed: int = 0,
    batch: int = 1000,
    level: float = 0.95,
) -> stats.Estimate:
    """Monte Carlo estimate of w(S) in R^D, a ``stats.Estimate`` with a Student-t interval at
    ``level`` (its ``stderr`` is the standard error). Chapter 04.

    Give exactly one of ``support`` (g (b, D) -> h_S(g) (b,)) or ``oracle`` (g (b, D) -> maximisers
    (b, D); the width is then the mean of <g, x*(g)>). ``n`` Gaussian vectors, ``batch`` at a time,
    drawn from ``seed``.
    """
    D = check_positive_int(D, "D")
    n = checks.integer(n, "n", min=2)
    batch = check_positive_int(batch, "batch")
    if (support is None) == (oracle is None):
        raise ValueError("give exactly one of support= or oracle=")
    for name, fn in (("support", support), ("oracle", oracle)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function of a batch g (b, D), got {fn!r:.60}")
    rng = np.random.default_rng(checks.seed(seed))
    values = []
    for start in range(0, n, batch):
        g = rng.standard_normal((min(batch, n - start), D))
        values.append(support(g) if support is not None else np.sum(g * oracle(g), axis=1))
    return mc_estimate(np.concatenate(values), level)


def expected_norm(k: int) -> float:
    """E ||g||, g ~ N(0, I_k): sqrt(2) Gamma((k+1)/2) / Gamma(k/2), between k/sqrt(k+1) and sqrt(k).

    This is the Gaussian width of the unit sphere (or ball) of any k-dimensional subspace
    (chapter 04).
    """
    k = checks.integer(k, "k", min=0)
    if k == 0:
        return 0.0
    return math.sqrt(2.0) * math.exp(special.gammaln((k + 1) / 2) - special.gammaln(k / 2))


def support_subspace_sphere(k: int) -> Support:
    """Support function of the unit sphere of span(e_1..e_k): h(g) = ||g[:k]|| (chapter 04)."""
    k = check_positive_int(k, "k")
    return lambda g: np.linalg.norm(g[:, :k], axis=1)


def support_l1_ball(g: np.ndarray) -> np.ndarray:
    """Support function of the unit l1 ball: h(g) = max_i |g_i| (shape (n,); chapter 04)."""
    return np.abs(_batch(g)).max(axis=1)


def oracle_l1_ball(g: np.ndarray) -> np.ndarray:
    """Maximiser of <g, x> over the unit l1 ball: the vertex sign(g_i) e_i with i = argmax |g_i|
    (chapter 04)."""
    g = _batch(g)
    i = np.abs(g).argmax(axis=1)
    x = np.zeros_like(g)
    x[np.arange(g.shape[0]), i] = np.sign(g[np.arange(g.shape[0]), i])
    return x


def width_l1_ball(D: int) -> float:
    """w(unit l1 ball) = E max_i |g_i| = int_0^inf 1 - erf(t/sqrt 2)^D dt (~ sqrt(2 log D));
    chapter 04."""
    D = check_positive_int(D, "D")

    def tail(t: float) -> float:  # P(max |g_i| > t), accurate far in the tail
        return -math.expm1(D * math.log1p(-math.erfc(t / math.sqrt(2)))) if t > 0 else 1.0

    value, _ = integrate.quad(tail, 0, np.inf, limit=200)
    return value


def support_cap(alpha: float) -> Support:
    """Support function of the cap {x on the unit sphere : angle(x, e_1) <= alpha}.

    For g at angle phi from e_1 the nearest cap point is at angle max(phi - alpha, 0) from g, so
    h(g) = ||g|| cos(max(phi - alpha, 0)) (negative when phi - alpha > pi/2). Chapter 04.
    """
    alpha = _check_angle(alpha)

    def h(g: np.ndarray) -> np.ndarray:
        phi = np.arctan2(np.linalg.norm(g[:, 1:], axis=1), g[:, 0])
        return np.linalg.norm(g, axis=1) * np.cos(np.maximum(phi - alpha, 0.0))

    return h


def width_cap(D: int, alpha: float) -> float:
    """w(cap of half-angle alpha in R^D) = E||g|| E cos(max(phi - alpha, 0)).

    ||g|| and the angle phi are independent; t = cos(phi) has density proportional to
    (1 - t^2)^((D-3)/2) on [-1, 1], so the second factor is a 1-D integral. Chapter 04.
    """
    D = checks.integer(D, "D (a cap needs D >= 2)", min=2)
    alpha = _check_angle(alpha)
    a = (D - 3) / 2
    log_norm = special.betaln(0.5, (D - 1) / 2)  # int (1-t^2)^a dt over [-1, 1]

    def density(t: float) -> float:
        return math.exp(a * math.log1p(-t * t) - log_norm) if abs(t) < 1 else 0.0

    def value(t: float) -> float:
        if t >= math.cos(alpha):
            return 1.0
        return t * math.cos(alpha) + math.sqrt(max(1 - t * t, 0.0)) * math.sin(alpha)

    pts = sorted({0.0, math.cos(alpha)} - {1.0, -1.0})
    mean, _ = integrate.quad(lambda t: value(t) * density(t), -1, 1, points=pts, limit=400)
    return expected_norm(D) * mean


def gordon_miss_bound(k: int | np.ndarray, w: float) -> np.ndarray:
    """Gordon's (1988) lower bound on P(a uniformly random subspace of codimension k misses S).

    For a closed S in the unit sphere with w(S) < lambda_k = E||g_k||:
    P(miss) >= 1 - 3.5 exp(-(lambda_k - w)^2 / 18), Gordon's constants as quoted by Larsen et al.
    (2022). Returned clipped at 0 (the bound is empty there) and 0 where lambda_k <= w. It bounds
    the *miss* side only: that a subspace of smaller codimension does hit S is not part of it
    (chapter 04, section 3).
    """
    if isinstance(k, np.ndarray | list | tuple):
        k = np.atleast_1d(np.asarray(k))
        if k.dtype.kind not in "iu" or (k < 0).any():
            raise TypeError(f"k must hold integer codimensions >= 0, got {k!r:.60}")
    else:
        k = np.atleast_1d(checks.integer(k, "k", min=0))
    w = checks.real(w, "w", min=0.0)
    lam = np.array([expected_norm(int(kk)) for kk in k])
    bound = 1.0 - 3.5 * np.exp(-((lam - w) ** 2) / 18.0)
    return np.where(lam > w, np.clip(bound, 0.0, 1.0), 0.0)


def _batch(g: np.ndarray) -> np.ndarray:
    """A batch g (n, D) of points (one point (D,) accepted), finite floats."""
    g = checks.array(g, "g", ndim=(1, 2))
    return g[None] if g.ndim == 1 else g


_check_angle = check_angle
