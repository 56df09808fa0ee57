"""Gordon's threshold for a quadratic well of any size: the statistical dimension of its sublevel
cone, computed from the spectrum grouped into levels.

For L(theta) = 1/2 (theta - theta*)^T H (theta - theta*), a start theta_0 (c = theta_0 - theta*)
and a height e, training in a random d-subspace through theta_0 reaches {L <= e} iff the subspace
meets the cone K = {v : (v^T H c)^2 >= (c^T H c - 2e) v^T H v, v^T H c <= 0}; K is convex, and by
Gordon's theorem and the kinematic formula of Amelunxen et al. (2014) this happens once

    d > D - delta(K),       delta(K) = E ||Pi_K(g)||^2  (w^2 <= delta <= w^2 + 1),

within a few sqrt(D) (:func:`kinematic_bracket`). ``geometry.sublevel_cone`` computes delta from
the D x D eigendecomposition of N = (c^T H c - 2e) H - (Hc)(Hc)^T, fine for D of a few hundred.
A network has D ~ 10^4 - 10^5, but its Hessian is summarised by a few **levels** lambda_j with
multiplicities n_j (Lanczos outliers, an SLQ density), and c by its energy s_j = ||c_j||^2 in
each level's eigenspace. Then N is diagonal plus rank one *between* levels: each level keeps
n_j - 1 eigenvalues a lambda_j (a = c^T H c - 2e), and one direction per level joins a small
G x G core matrix with exactly one negative eigenvalue. In N's eigenbasis g is still standard
Gaussian, and ||Pi_K(g)||^2 depends on g only through the chi-square sums of each level: a
Monte Carlo over G + 1 numbers per sample instead of D, exact for the grouped well.

Levels with lambda = 0 are flat: the sublevel set is a cylinder along them and each adds its full
multiplicity to delta. Taught in chapter 05 (synthetic wells and the network's quadratic model).
"""

from __future__ import annotations

import math

import numpy as np

from dofcourse import checks, stats

ITERS = 80  # bisection steps: the root is found to 2^-80 of its bracket


def _arrays(levels, mult, energy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lam = checks.array(levels, "levels", ndim=1)
    n = checks.array(mult, "mult", ndim=1)
    s = checks.array(energy, "energy", ndim=1)
    if not (lam.size == n.size == s.size) or lam.size == 0:
        raise ValueError(
            f"levels, mult and energy must have one entry per level, got {lam.size}, {n.size}, "
            f"{s.size}"
        )
    if not (np.all(np.isfinite(lam)) and np.all(lam >= 0)):
        raise ValueError("levels must be finite and >= 0 (0 marks a flat level)")
    if not (np.all(np.isfinite(n)) and np.all(n > 0)):
        raise ValueError("mult must be positive")
    if not (np.all(np.isfinite(s)) and np.all(s >= 0)):
        raise ValueError("energy must be finite and >= 0")
    if np.any((s > 0) & (lam > 0) & (n < 1)):
        raise ValueError("a level that holds part of c needs multiplicity >= 1")
    return lam, n, s


def cone_spectrum(levels, mult, energy, height: float) -> tuple[float, np.ndarray, np.ndarray]:
    """(nu_1 < 0, positive eigenvalues nu (K,), their multiplicities (K,)) of N, and the flat
    multiplicity is returned as a level with nu = 0. ``height`` e > 0 must lie below
    L(theta_0) = 1/2 c^T H c."""
    lam, n, s = _arrays(levels, mult, energy)
    e = checks.real(height, "height", min=0.0, open_min=True)
    quad = float(np.sum(lam * s))
    a = quad - 2.0 * e
    if a <= 0:
        raise ValueError(
            f"the start already lies in the sublevel set: L(theta_0) = {quad / 2:.4g} <= "
            f"height {e:.4g}"
        )
    core = (s > 0) & (lam > 0)
    core_matrix = np.diag(a * lam[core]) - np.outer(lam[core] * np.sqrt(s[core]), lam[core] *
                                                    np.sqrt(s[core]))  # fmt: skip
    nu_core = np.linalg.eigvalsh(core_matrix)
    if not (nu_core[0] < 0 and (nu_core.size == 1 or nu_core[1] > 0)):
        raise ValueError("the sublevel cone is degenerate (N needs one negative eigenvalue)")
    positive = lam > 0
    rest = n[positive] - core[positive]  # one direction of each level holding c went to the core
    nu = np.concatenate([nu_core[1:], a * lam[positive][rest > 0], [0.0]])
    m = np.concatenate([np.ones(nu_core.size - 1), rest[rest > 0], [n[~positive].sum()]])
    keep = m > 0
    return float(nu_core[0]), nu[keep], m[keep]


def _bisect(fun, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The root of each decreasing ``fun`` on (lo, hi), elementwise."""
    for _ in range(ITERS):
        mid = 0.5 * (lo + hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            right = fun(mid) > 0
        lo, hi = np.where(right, mid, lo), np.where(right, hi, mid)
    return 0.5 * (lo + hi)


def projected_sq_norms(nu1: float, nu: np.ndarray, m: np.ndarray, x1: np.ndarray,
                       q: np.ndarray) -> np.ndarray:  # fmt: skip
    """||Pi_K(g)||^2 for samples given by x1 (n,) (the coordinate along nu1 < 0) and q (n, K),
    the chi-square sums of each level (multiplicity m, eigenvalue nu >= 0)."""
    quad = nu1 * x1**2 + q @ nu
    total = x1**2 + q.sum(1)
    flat = nu == 0
    with np.errstate(divide="ignore"):
        polar = x1**2 / nu1 + q[:, ~flat] @ (1 / nu[~flat])
    in_k = (quad <= 0) & (x1 >= 0)
    in_polar = (x1 <= 0) & (polar <= 0) & (q[:, flat].sum(1) == 0)
    out = np.where(in_k, total, 0.0)
    right = ~in_k & ~in_polar & (x1 > 0)
    if right.any():  # z = x / (1 + mu nu), mu in (0, 1/|nu1|)
        xr, qr = x1[right, None], q[right]
        mu = _bisect(lambda u: nu1 * xr[:, 0] ** 2 / (1 + u * nu1) ** 2
                     + (qr * nu / (1 + u[:, None] * nu) ** 2).sum(1),
                     np.zeros(len(qr)), np.full(len(qr), 1 / -nu1))  # fmt: skip
        out[right] = (xr[:, 0] ** 2 / (1 + mu * nu1) ** 2
                      + (qr / (1 + mu[:, None] * nu) ** 2).sum(1))  # fmt: skip
    wrong = ~in_k & ~in_polar & (x1 <= 0)
    if wrong.any():  # z = x t / (t + nu), t in (0, |nu1|)
        xw, qw = x1[wrong], q[wrong]
        t = _bisect(lambda u: nu1 * xw**2 / (u + nu1) ** 2
                    + (qw * nu / (u[:, None] + nu) ** 2).sum(1),
                    np.zeros(len(qw)), np.full(len(qw), -nu1))  # fmt: skip
        out[wrong] = (xw**2 * t**2 / (t + nu1) ** 2
                      + (qw * t[:, None] ** 2 / (t[:, None] + nu) ** 2).sum(1))  # fmt: skip
    return out


def sublevel_statdim(
    levels, mult, energy, height: float, *, n: int = 4000, seed: int = 0, level: float = 0.95
) -> stats.Estimate:
    """delta(K) of the sublevel cone of the grouped well (see the module text), by Monte Carlo
    over ``n`` samples, as a ``stats.Estimate`` (Student t)."""
    n = checks.integer(n, "n", min=2)
    nu1, nu, m = cone_spectrum(levels, mult, energy, height)
    checks.budget(8.0 * 3 * n * (m.size + 1), f"{n} Monte Carlo samples", "use a smaller n",
                  name="n")  # fmt: skip
    rng = np.random.default_rng(checks.seed(seed))
    x1 = rng.standard_normal(n)
    q = rng.chisquare(m, size=(n, m.size))
    return stats.mean_t(projected_sq_norms(nu1, nu, m, x1, q), level)


def kinematic_bracket(D: int, delta: float, eta: float = 0.1) -> tuple[float, float]:
    """(d_lo, d_hi) = D - delta -/+ a_eta sqrt(D), a_eta = sqrt(8 ln(4 / eta)): a random
    d-subspace meets a convex cone of statistical dimension delta with probability <= eta for
    d <= d_lo and >= 1 - eta for d >= d_hi (Amelunxen, Lotz, McCoy, Tropp 2014, Theorem I)."""
    D = checks.integer(D, "D", min=1)
    delta = checks.real(delta, "delta", min=0.0, max=D)
    eta = checks.real(eta, "eta", min=0.0, max=1.0, open_min=True, open_max=True)
    half = math.sqrt(8 * math.log(4 / eta)) * math.sqrt(D)
    return D - delta - half, D - delta + half
