"""Statistical dimension delta(C) = E ||Pi_C(g)||^2 of a convex cone: Monte Carlo and closed forms.

delta extends the dimension of a subspace to convex cones (Amelunxen, Lotz, McCoy, Tropp 2014):
delta(subspace of dim k) = k, delta(C) + delta(C°) = D, so a self-dual cone (the orthant, the
second-order cone, the PSD cone) has delta = D / 2. For the descent cone of the l1 norm at an
s-sparse x in R^D their Proposition 4.5 gives
    D psi(s/D) - 2 sqrt(D/s) <= delta <= D psi(s/D),
    psi(rho) = inf_{tau >= 0} rho (1 + tau^2) + (1 - rho) E[(|g| - tau)_+^2],
with E[(|g| - tau)_+^2] = (1 + tau^2) erfc(tau/sqrt 2) - tau sqrt(2/pi) exp(-tau^2/2), g ~ N(0, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from dofcourse import checks, stats
from dofcourse.geometry._common import check_dims, check_positive_int, mc_estimate
from dofcourse.geometry.cones import Projection


def statistical_dimension(
    project: Projection,
    D: int,
    n: int = 2000,
    seed: int = 0,
    batch: int = 1000,
    level: float = 0.95,
) -> stats.Estimate:
    """Monte Carlo estimate of E ||Pi_C(g)||^2, g ~ N(0, I_D), from the projection onto C: a
    ``stats.Estimate`` with a Student-t interval at ``level``. Chapter 04."""
    D = check_positive_int(D, "D")
    n = checks.integer(n, "n", min=2)
    batch = check_positive_int(batch, "batch")
    if not callable(project):
        raise TypeError(f"project must be a projection g (b, D) -> (b, D), got {project!r:.60}")
    rng = np.random.default_rng(checks.seed(seed))
    values = []
    for start in range(0, n, batch):
        g = rng.standard_normal((min(batch, n - start), D))
        values.append(np.sum(project(g) ** 2, axis=1))
    return mc_estimate(np.concatenate(values), level)


def statdim_subspace(k: int) -> float:
    """delta of a k-dimensional subspace: k (chapter 04)."""
    return float(checks.integer(k, "k", min=0))


def statdim_orthant(D: int) -> float:
    """delta of the nonnegative orthant of R^D: D / 2 (it is self-dual; chapter 04)."""
    check_positive_int(D, "D")
    return D / 2


def statdim_soc(D: int) -> float:
    """delta of the second-order cone {(x, t) in R^(D-1) x R : ||x|| <= t}: D / 2 (self-dual;
    chapter 04)."""
    check_positive_int(D, "D")
    return D / 2


def statdim_psd(n: int) -> float:
    """delta of the PSD cone of n x n matrices: half its dimension, n(n+1)/4 (self-dual;
    chapter 04)."""
    check_positive_int(n, "n")
    return n * (n + 1) / 4


def gaussian_tail_moment(tau: float | np.ndarray) -> np.ndarray:
    """E[(|g| - tau)_+^2], g ~ N(0, 1): (1 + tau^2) erfc(tau/sqrt 2) - tau sqrt(2/pi) e^-tau^2/2
    (chapter 04)."""
    if isinstance(tau, np.ndarray | list | tuple):
        tau = checks.array(tau, "tau")
        if (tau < 0).any():
            raise ValueError("tau must be >= 0")
    else:
        tau = np.asarray(checks.real(tau, "tau", min=0.0))
    return (1 + tau**2) * special.erfc(tau / math.sqrt(2)) - tau * math.sqrt(2 / math.pi) * np.exp(
        -(tau**2) / 2
    )


def psi_l1(rho: float) -> tuple[float, float]:
    """(psi(rho), minimising tau) for relative sparsity rho = s/D in [0, 1], by 1-D minimisation
    (chapter 04)."""
    rho = checks.real(rho, "the relative sparsity rho = s/D", min=0.0, max=1.0)
    if rho == 1.0:
        return 1.0, 0.0
    if rho == 0.0:
        return 0.0, math.inf

    def objective(tau: float) -> float:
        return rho * (1 + tau**2) + (1 - rho) * float(gaussian_tail_moment(tau))

    res = optimize.minimize_scalar(
        objective, bounds=(0.0, 40.0), method="bounded", options={"xatol": 1e-12}
    )
    return float(res.fun), float(res.x)


@dataclass(frozen=True)
class L1StatDim:
    """delta of the l1 descent cone at an s-sparse point of R^D: the formula and its error bound
    (chapter 04)."""

    D: int
    s: int
    upper: float  # D psi(s/D)
    lower: float  # D psi(s/D) - 2 sqrt(D/s)
    tau: float  # the minimising tau

    @property
    def value(self) -> float:
        """The formula D psi(s/D) (an upper bound, within 2 sqrt(D/s) of the truth). Chapter 04."""
        return self.upper


def statdim_l1(D: int, s: int) -> L1StatDim:
    """delta(D(||.||_1, x)) for x in R^D with s nonzero entries (Amelunxen et al., Prop. 4.5;
    chapter 04)."""
    D, s = check_dims(D, s, "the sparsity s")
    if s == 0:
        raise ValueError("the sparsity s must be at least 1 (the descent cone at 0 is {0})")
    psi, tau = psi_l1(s / D)
    return L1StatDim(D, s, D * psi, max(D * psi - 2 * math.sqrt(D / s), 0.0), tau)
