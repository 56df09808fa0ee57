"""Least squares from a sample of the rows, drawn uniformly or by leverage score.

To solve min_x ||A x - b|| with A (m, n), m >> n, draw s row indices i_1..i_s independently with
probabilities p (with replacement) and solve the small problem

    min_x sum_t w_t^2 (A_{i_t} x - b_{i_t})^2,   w_t = 1 / sqrt(s p_{i_t}),

whose weights make the sketched normal equations unbiased: E[A^T S^T S A] = A^T A. With p the
leverage scores divided by n (:mod:`dofcourse.sketching.leverage`), s = O(n log n / eps) rows
give a residual within a factor 1 + eps of the optimum with high probability (Drineas, Mahoney
and Muthukrishnan 2006); with uniform p the number of rows needed grows with the coherence
m max_i l_i / n, which can be as large as m (appendix A1).

Larsen and Kolda (2022, the practical part of their title) add two things that matter when a few
rows carry a large share of the probability, as in a coherent matrix:

* **combining repeated samples**: a row drawn c times contributes c copies of the same weighted
  equation, which is one equation with weight sqrt(c) times as large; same solution, fewer rows
  to solve with (:func:`combine_repeats`);
* **deterministic inclusion**: every row with p_i >= tau is taken once, with weight 1, and the
  remaining s - |D| rows are drawn from the other rows, renormalised; the sketched Gram matrix
  stays unbiased (:func:`draw_rows_hybrid`; the reference implementation is ``tt_sampled_solve``
  in the Tensor Toolbox for MATLAB, behind their CP-ARLS-LEV).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dofcourse import checks, experiment, stats
from dofcourse.sketching.leverage import leverage_scores

KINDS = ("uniform", "leverage")  # sampling probabilities
SCHEMES = (*KINDS, "hybrid")  # ways to draw the rows: "hybrid" is leverage, Larsen and Kolda's way


def probabilities(A: object, kind: str) -> np.ndarray:
    """Row-sampling probabilities p (m,) of A: ``"uniform"`` 1/m, ``"leverage"`` l_i / rank."""
    kind = checks.choice(kind, "kind", KINDS)
    A = checks.array(A, "A", ndim=2)
    if kind == "uniform":
        return np.full(A.shape[0], 1.0 / A.shape[0])
    lev = leverage_scores(A)
    return lev / lev.sum()


def draw_rows(p: object, n_samples: int, sample_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(rows (s,), weights (s,)): s = ``n_samples`` indices drawn with replacement from p, and
    their importance weights 1 / sqrt(s p_i)."""
    p = checks.array(p, "p", ndim=1)
    if np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError("p must be non-negative and sum to 1")
    s = checks.integer(n_samples, "n_samples", min=1)
    rows = np.random.default_rng(checks.seed(sample_seed, "sample_seed")).choice(len(p), s, p=p)
    return rows, 1.0 / np.sqrt(s * p[rows])


def combine_repeats(rows: object, weights: object) -> tuple[np.ndarray, np.ndarray]:
    """(rows (u,), weights (u,)): each distinct row once, in increasing order, with weight
    sqrt(sum of its squared weights), which is sqrt(c) w for a row drawn c times with weight w.

    The weighted equations, and so the sketched Gram matrix and the least-squares solution, do not
    change; only the number of rows to solve with falls (Larsen and Kolda 2022; appendix A1).
    """
    rows = np.asarray(checks.integers(rows, "rows", min=0))
    w = checks.array(weights, "weights", ndim=1)
    if w.shape != rows.shape:
        raise ValueError(f"weights must have one entry per row ({rows.size}), got {w.size}")
    unique, which = np.unique(rows, return_inverse=True)
    return unique, np.sqrt(np.bincount(which, weights=w**2, minlength=unique.size))


def draw_rows_hybrid(
    p: object, n_samples: int, sample_seed: int = 0, tau: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(rows (u,), weights (u,)): Larsen and Kolda's hybrid sample of s = ``n_samples`` rows.

    The rows D with p_i >= ``tau`` (default 1/s: those plain sampling expects to draw at least
    once; the s most probable if there are more) are included once, with weight 1. The other
    s_r = s - |D| rows are drawn with replacement from the rest with probabilities
    q_i = p_i / (1 - p_D), weights 1 / sqrt(s_r q_i), and repeats combined
    (:func:`combine_repeats`).
    Then E[sum_t w_t^2 a_t a_t^T] = sum_D a_i a_i^T + sum_rest a_i a_i^T = A^T A: unbiased, and
    the rows that matter most are never missed (when more than s rows reach ``tau`` the sample is
    the s most probable, and no longer unbiased). Deterministic rows come first. Appendix A1.
    """
    p = checks.array(p, "p", ndim=1)
    if np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError("p must be non-negative and sum to 1")
    s = checks.integer(n_samples, "n_samples", min=1)
    tau = 1.0 / s if tau is None else checks.real(tau, "tau", min=0.0, open_min=True)
    rng = np.random.default_rng(checks.seed(sample_seed, "sample_seed"))
    det = np.flatnonzero(p >= tau)
    det = det[np.argsort(-p[det], kind="stable")[:s]]  # at most s rows, the most probable
    rest = np.setdiff1d(np.arange(len(p)), det)
    s_rnd, mass = s - det.size, p[rest].sum()
    if s_rnd == 0 or mass <= 0:  # everything that can be drawn is already in
        return det, np.ones(det.size)
    q = p[rest] / mass
    drawn = rng.choice(rest.size, s_rnd, p=q)
    rows, w = combine_repeats(rest[drawn], 1.0 / np.sqrt(s_rnd * q[drawn]))
    return np.concatenate([det, rows]), np.concatenate([np.ones(det.size), w])


def sample_rows(
    A: object, scheme: str, n_samples: int, sample_seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, weights) of A (m, n) for one of the ``SCHEMES``: ``"uniform"`` and ``"leverage"``
    are :func:`draw_rows` (s rows, repeats kept); ``"hybrid"`` is :func:`draw_rows_hybrid` on the
    leverage probabilities (at most s distinct rows). Appendix A1."""
    scheme = checks.choice(scheme, "scheme", SCHEMES)
    if scheme == "hybrid":
        return draw_rows_hybrid(probabilities(A, "leverage"), n_samples, sample_seed)
    return draw_rows(probabilities(A, scheme), n_samples, sample_seed)


def sampled_lstsq(A: object, b: object, rows: object, weights: object) -> np.ndarray:
    """x (n,) minimising ||diag(weights) (A[rows] x - b[rows])||; the minimum-norm one if the
    sampled rows do not determine x (they missed a direction)."""
    A, b = checks.array(A, "A", ndim=2), checks.array(b, "b", ndim=1)
    if A.shape[0] != b.shape[0]:
        raise ValueError(f"A has {A.shape[0]} rows but b has {b.shape[0]} entries")
    rows = np.asarray(checks.integers(rows, "rows", min=0, max=A.shape[0] - 1))
    w = checks.array(weights, "weights", ndim=1)
    if w.shape != rows.shape:
        raise ValueError(f"weights must have one entry per row ({rows.size}), got {w.size}")
    return np.linalg.lstsq(w[:, None] * A[rows], w * b[rows], rcond=None)[0]


def residual(A: object, b: object, x: object) -> float:
    """||A x - b|| for A (m, n), b (m,), x (n,)."""
    A, b, x = (
        checks.array(A, "A", ndim=2),
        checks.array(b, "b", ndim=1),
        checks.array(x, "x", ndim=1),
    )
    if A.shape != (b.size, x.size):
        raise ValueError(f"A must have shape ({b.size}, {x.size}) for b and x, got {A.shape}")
    return float(np.linalg.norm(A @ x - b))


@experiment.cached
def residual_sweep(
    A: np.ndarray,
    b: np.ndarray,
    sample_sizes: Sequence[int],
    sample_seeds: Sequence[int],
    kinds: Sequence[str] = SCHEMES,
) -> pd.DataFrame:
    """Sampled least squares for every (kind, n_samples, sample_seed), kind one of ``SCHEMES``;
    one row each with the residual, its ratio to the optimal residual ||A x* - b|| (x* from all
    rows) and the number of distinct rows drawn."""
    A, b = checks.array(A, "A", ndim=2), checks.array(b, "b", ndim=1)
    if A.shape[0] != b.shape[0]:
        raise ValueError(f"A has {A.shape[0]} rows but b has {b.shape[0]} entries")
    sizes = checks.integers(sample_sizes, "sample_sizes", min=1)
    seeds = checks.seeds(sample_seeds, "sample_seeds")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, Sequence) or not kinds:
        raise TypeError(f"kinds must be a non-empty sequence of {SCHEMES}, got {kinds!r:.60}")
    kinds = [checks.choice(k, f"kinds[{i}]", SCHEMES) for i, k in enumerate(kinds)]
    best = residual(A, b, np.linalg.lstsq(A, b, rcond=None)[0])
    rows = []
    for kind in kinds:
        for s in sizes:
            for seed in seeds:
                drawn, w = sample_rows(A, kind, s, seed)
                r = residual(A, b, sampled_lstsq(A, b, drawn, w))
                rows.append({"kind": kind, "n_samples": s, "sample_seed": seed, "residual": r,
                             "ratio": r / best, "distinct": np.unique(drawn).size})  # fmt: skip
    return pd.DataFrame(rows)


def rows_needed(table: pd.DataFrame, kind: str, within: float = 0.1, share: float = 0.9) -> float:
    """The fewest sampled rows at which a ``share`` of the seeds reach a residual within
    ``within`` of the optimum (``stats.crossing`` in log n_samples; inf if never)."""
    if not isinstance(table, pd.DataFrame) or not {"kind", "n_samples", "ratio"} <= set(table):
        raise TypeError("table must be a residual_sweep table (columns kind, n_samples, ratio)")
    kind = checks.choice(kind, "kind", SCHEMES)
    within = checks.real(within, "within", min=0.0, open_min=True)
    share = checks.real(share, "share", min=0.0, max=1.0, open_min=True)
    sub = table[table["kind"] == kind]
    if sub.empty:
        raise ValueError(f"the table has no rows of kind {kind!r}")
    ok = sub.assign(ok=sub["ratio"] <= 1 + within).groupby("n_samples")["ok"].mean()
    return stats.crossing(ok.index.to_numpy(float), ok.to_numpy(float), share, log_x=True)
