"""Leverage scores: how much each row of a tall matrix matters to its least-squares problems.

For A (m, n) with rank r and an orthonormal basis Q (m, r) of its column space, the leverage
score of row i is l_i = ||Q_i||^2 = (A A^+)_ii, the i-th diagonal entry of the projection onto
range(A). Each l_i lies in [0, 1] and they sum to r. A row with l_i near 1 is the only one that
pins down some direction of the solution: drop it and that direction is lost. A matrix whose
scores are all about r/m is *incoherent*; uniform row sampling works for it, and fails on a
*coherent* one (:func:`spiked_system`), which is the case leverage sampling exists for
(Drineas, Mahoney and Muthukrishnan 2006; appendix A1).

The basis comes from a thin QR factorisation with column pivoting (``scipy.linalg.qr``), whose
pivots also give the numerical rank, so rank-deficient matrices get scores that sum to their rank.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from dofcourse import checks


def orthonormal_range(A: object, rtol: float | None = None) -> np.ndarray:
    """Q (m, r): an orthonormal basis of range(A), r = numerical rank (|R_jj| > rtol |R_00|,
    rtol = max(m, n) x machine epsilon unless given)."""
    A = checks.array(A, "A", ndim=2)
    if A.size == 0:
        raise ValueError(f"A must not be empty, got shape {A.shape}")
    q, r, _ = linalg.qr(A, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    tol = max(A.shape) * np.finfo(float).eps if rtol is None else checks.real(rtol, "rtol", min=0.0)
    rank = int(np.sum(diag > tol * diag[0])) if diag[0] > 0 else 0
    return q[:, :rank]


def leverage_scores(A: object, rtol: float | None = None) -> np.ndarray:
    """l (m,): the leverage score of each row of A (m, n); l in [0, 1], sum(l) = rank(A)."""
    return np.sum(orthonormal_range(A, rtol) ** 2, axis=1)


def spiked_system(
    m: int, n: int, n_spikes: int, noise: float = 0.1, seed: int = 0, eps: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """(A (m, n), b (m,)): a coherent least-squares problem with ``n_spikes`` high-leverage rows.

    A has N(0, 1) entries, except in its last ``n_spikes`` columns: there the spike rows (at
    random places) hold an identity block and all other rows only eps x N(0, 1). Each spike row is
    (nearly) the only one that sees one direction, so its leverage is close to 1 while the others
    share the remaining n - n_spikes. b = A x + noise x N(0, 1) with x ~ N(0, I).
    """
    n = checks.integer(n, "n", min=2)
    n_spikes = checks.integer(n_spikes, "n_spikes", min=0, max=n - 1)
    m = checks.integer(m, "m", min=n + n_spikes)
    noise = checks.real(noise, "noise", min=0.0)
    eps = checks.real(eps, "eps", min=0.0)
    checks.budget(8.0 * 2 * m * n, f"the {m} x {n} system", "use a smaller m or n", name="m and n")
    rng = np.random.default_rng(checks.seed(seed))
    A = rng.standard_normal((m, n))
    spikes = rng.choice(m, size=n_spikes, replace=False)
    bulk = np.setdiff1d(np.arange(m), spikes)
    cols = np.arange(n - n_spikes, n)
    A[np.ix_(bulk, cols)] *= eps
    A[np.ix_(spikes, cols)] = np.eye(n_spikes)  # spike j alone sees direction n - n_spikes + j
    b = A @ rng.standard_normal(n) + noise * rng.standard_normal(m)
    return A, b
