"""A sparse regression problem with more features than examples, and its two classic interpolants.

With d > n features, infinitely many beta interpolate the data (X beta = y). Which one a model
finds is its *implicit bias* (chapter 09). Two interpolants are the references:

* the minimum-l2-norm interpolant beta_l2 = X^+ y (NumPy's least-squares solver returns it): the
  solution of any *kernel* method with a linear kernel, and of gradient descent on beta itself
  started at 0. It lies in the row space of X, an n-dimensional subspace, so it cannot be sparse;
* the minimum-l1-norm interpolant (basis pursuit), a linear program: min sum(p + q) subject to
  X (p - q) = y, p, q >= 0 (``scipy.optimize.linprog``). With enough examples it recovers a sparse
  beta* exactly (the l1 phase transition of chapter 04).

For isotropic Gaussian inputs the test error of any beta is ||beta - beta*||^2 (plus the noise),
so the recovery error *is* the generalisation error here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from dofcourse import checks

INTERPOLATION_RTOL = 1e-8  # ||X beta - y|| <= this * ||y|| counts as interpolating


@dataclass(frozen=True, eq=False)
class SparseProblem:
    """y = X beta* for a k-sparse beta* (d,), X (n, d) with n < d; a test set drawn the same way.

    ``x_train``/``y_train``/``x_test``/``y_test`` make it a dataset for ``dofcourse.ensemble``.
    """

    X: np.ndarray
    y: np.ndarray
    beta_star: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def x_train(self) -> np.ndarray:
        return self.X

    @property
    def y_train(self) -> np.ndarray:
        return self.y

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    def error(self, beta: np.ndarray) -> np.ndarray:
        """Recovery error ||beta - beta*||^2 of beta (d,) or of each row of (E, d)."""
        return np.sum((np.asarray(beta) - self.beta_star) ** 2, axis=-1)


def sparse_problem(n: int, d: int, k: int, seed: int = 0, n_test: int = 500) -> SparseProblem:
    """X with N(0, 1) entries, beta* with k entries +-1 (random places and signs), y = X beta*.

    Noise-free, so that interpolation is the aim (Woodworth et al. 2020, section 4).
    """
    d = checks.integer(d, "d", min=2)
    n = checks.integer(n, "n", min=1, max=d - 1)
    k = checks.integer(k, "k", min=1, max=d)
    n_test = checks.integer(n_test, "n_test", min=1)
    checks.budget(8.0 * (n + n_test) * d, f"the {n} x {d} problem and its {n_test} test inputs",
                  "use a smaller n, n_test or d", name="n, n_test and d")  # fmt: skip
    rng = np.random.default_rng(checks.seed(seed))
    beta = np.zeros(d)
    beta[rng.choice(d, size=k, replace=False)] = rng.choice([-1.0, 1.0], size=k)
    X, x_test = rng.standard_normal((n, d)), rng.standard_normal((n_test, d))
    return SparseProblem(X, X @ beta, beta, x_test, x_test @ beta)


def check_problem(problem: object) -> SparseProblem:
    """``problem`` if it is a :class:`SparseProblem`, else a TypeError that says how to make one."""
    if not isinstance(problem, SparseProblem):
        raise TypeError(
            f"problem must be a SparseProblem (from sparse_problem), got {type(problem).__name__}"
        )
    return problem


def _positives(values: object, name: str) -> list[float]:
    """A non-empty sequence of numbers > 0 (initial scales alpha, output scales kappa) as floats,
    each checked by name (``alphas[2] must be > 0``)."""
    return checks.reals(values, name, min=0.0, open_min=True)


def check_system(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, d), y (n,)) as float64 arrays with matching lengths, or one clear error."""
    X, y = checks.array(X, "X", ndim=2), checks.array(y, "y", ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries")
    return X, y


def _interpolating(X: np.ndarray, y: np.ndarray, beta: np.ndarray, what: str) -> np.ndarray:
    if np.linalg.norm(X @ beta - y) > INTERPOLATION_RTOL * max(np.linalg.norm(y), 1.0):
        raise ValueError(f"no {what} interpolant: X beta = y has no solution (is X full row rank?)")
    return beta


def min_l2_interpolant(X: object, y: object) -> np.ndarray:
    """argmin ||beta||_2 subject to X beta = y, i.e. X^+ y (d,)."""
    X, y = check_system(X, y)
    return _interpolating(X, y, np.linalg.lstsq(X, y, rcond=None)[0], "minimum-l2")


def min_l1_interpolant(X: object, y: object) -> np.ndarray:
    """argmin ||beta||_1 subject to X beta = y (d,), as a linear program in beta = p - q."""
    X, y = check_system(X, y)
    d = X.shape[1]
    res = optimize.linprog(
        np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs"
    )
    if res.status != 0:
        raise ValueError(f"no minimum-l1 interpolant: the linear program says {res.message!r}")
    return _interpolating(X, y, res.x[:d] - res.x[d:], "minimum-l1")
