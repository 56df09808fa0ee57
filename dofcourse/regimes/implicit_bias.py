"""The implicit bias of the diagonal linear network in closed form (Woodworth et al. 2020).

The model beta = u*u - v*v (entrywise), started at u = v = alpha 1 and trained by gradient flow
on the squared loss, converges to the interpolant that minimises

    Q_alpha(beta) = alpha^2 sum_i q(beta_i / alpha^2),   q(z) = 2 - sqrt(4 + z^2) + z arcsinh(z/2)

(their Theorem 1). Why: along the flow u_i v_i = alpha^2 stays fixed and u, v are alpha times
exponentials of +- X^T s(t) with s in R^n, so beta(t) = 2 alpha^2 sinh(X^T lambda(t)) for some
lambda; at the limit X beta = y. These are exactly the optimality conditions of
min Q_alpha(beta) s.t. X beta = y, since grad Q_alpha(beta) = arcsinh(beta / (2 alpha^2)).

q(z) ~ z^2/4 for small z and ~ |z| log|z| for large z, so Q_alpha moves from
||beta||_2^2 / (4 alpha^2) (large alpha: the kernel regime, minimum-l2) to about
||beta||_1 log(1/alpha^2) (small alpha: the rich regime, minimum-l1). :func:`implicit_bias`
computes the minimiser through its dual, min_lambda 2 alpha^2 sum_i (cosh((X^T lambda)_i) - 1)
- y^T lambda, a smooth convex problem in n variables (SciPy's trust-region Newton method).
Chapter 09.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import optimize

from dofcourse import checks
from dofcourse.regimes.interpolants import (
    INTERPOLATION_RTOL,
    SparseProblem,
    _positives,
    check_problem,
    check_system,
)


def q_alpha(beta: object, alpha: float) -> float | np.ndarray:
    """Q_alpha(beta) for beta (d,) or for each row of (E, d)."""
    b = checks.array(beta, "beta", ndim=(1, 2))
    a2 = checks.real(alpha, "alpha", min=0.0, open_min=True) ** 2
    z = b / a2
    return a2 * np.sum(2 - np.sqrt(4 + z**2) + z * np.arcsinh(z / 2), axis=-1)


def implicit_bias(X: object, y: object, alpha: float) -> np.ndarray:
    """argmin Q_alpha(beta) subject to X beta = y (d,): where gradient flow on the diagonal
    network from u = v = alpha 1 ends. X (n, d) must have full row rank (n <= d)."""
    X, y = check_system(X, y)
    c = 2 * checks.real(alpha, "alpha", min=0.0, open_min=True) ** 2
    scale = max(float(np.linalg.norm(y)), 1e-300)

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        z = X.T @ lam
        value = c * np.sum(np.cosh(z) - 1) - y @ lam
        return value / scale, (X @ (c * np.sinh(z)) - y) / scale

    def hessian(lam: np.ndarray) -> np.ndarray:
        return (X * (c * np.cosh(X.T @ lam))) @ X.T / scale

    # a globally convergent Newton method on the dual, then Newton's method on its gradient
    # alone (root finding keeps full precision where the dual's values no longer change)
    res = optimize.minimize(dual, np.zeros(len(y)), jac=True, hess=hessian, method="trust-exact",
                            options={"gtol": 1e-10, "maxiter": 1000})  # fmt: skip
    res = optimize.root(lambda lam: dual(lam)[1], res.x, jac=hessian, method="hybr")
    beta = c * np.sinh(X.T @ res.x)
    if not np.linalg.norm(X @ beta - y) <= INTERPOLATION_RTOL * max(scale, 1.0):
        raise ValueError(
            f"the implicit bias for alpha={alpha:g} did not converge (residual "
            f"{np.linalg.norm(X @ beta - y):.3g}; {res.message}). Is X full row rank?"
        )
    return beta


def bias_errors(problem: SparseProblem, alphas: Sequence[float]) -> np.ndarray:
    """Recovery error ||beta_alpha - beta*||^2 (len(alphas),) of the Q_alpha minimiser at each
    alpha: the curve gradient flow follows, at no training cost."""
    check_problem(problem)
    alphas = _positives(alphas, "alphas")
    return np.array([problem.error(implicit_bias(problem.X, problem.y, a)) for a in alphas])
