"""Leverage scores of a Khatri–Rao product, bounded from its factors, and sampling from the bound.

CP decomposition (:mod:`dofcourse.sketching.cp_als`) solves, for each mode, a least-squares
problem whose matrix is the Khatri–Rao product Z = A_1 ⊙ ... ⊙ A_k of the other factors (the
column-wise Kronecker product: (J_1 ... J_k) rows, R columns). Z has as many rows as the tensor
has entries divided by one dimension, far too many to form, let alone to QR-factor.

But range(Z) lies inside range(A_1 ⊗ ... ⊗ A_k), whose leverage scores are the products of the
factors' scores; and a smaller subspace has smaller scores. So

    l_(j_1, ..., j_k)(Z) <= l_{j_1}(A_1) x ... x l_{j_k}(A_k)

(Cheng et al. 2016; Larsen and Kolda 2022, who use it for CP-ALS). The bound sums to
rank(A_1) ... rank(A_k) instead of rank(Z) <= R, so it oversamples by at most R^(k-1); but the
product distribution can be sampled one factor at a time, from vectors of length J_i, without
ever forming Z. Row (j_1, ..., j_k) of Z is A_1[j_1] * ... * A_k[j_k] (entrywise), so the sampled
rows cost s x R numbers. Rows are numbered as NumPy's C order (the first factor's index slowest),
which is the order of the tensor unfoldings in ``cp_als``. Appendix A1.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np
from scipy import linalg

from dofcourse import checks
from dofcourse.sketching.leverage import leverage_scores, orthonormal_range


def check_factors(
    factors: Sequence[object], name: str = "factors", shape: tuple[int, ...] | None = None
) -> list[np.ndarray]:
    """Factor matrices as float64 arrays (J_i, R) with one common R, or one clear error that
    calls them ``name``; with ``shape`` (that of a tensor X), one factor per mode of X with
    J_i = shape[i] rows."""
    if isinstance(factors, np.ndarray) or not isinstance(factors, Sequence) or not factors:
        raise TypeError(f"{name} must be a non-empty list of matrices (J_i, R), got "
                        f"{factors!r:.60}")  # fmt: skip
    out = [checks.array(f, f"{name}[{i}]", ndim=2) for i, f in enumerate(factors)]
    if len({f.shape[1] for f in out}) != 1:
        raise ValueError(f"{name} must share their number of columns, got {[f.shape for f in out]}")
    if shape is not None and [f.shape[0] for f in out] != list(shape):
        raise ValueError(
            f"X has shape {tuple(shape)}: {name} must hold one factor per mode with those rows, "
            f"got rows {[len(f) for f in out]}"
        )
    return out


def khatri_rao(factors: Sequence[object]) -> np.ndarray:
    """A_1 ⊙ ... ⊙ A_k (J_1 ... J_k, R), formed (small cases only: checks and figures)."""
    fs = check_factors(factors)
    rows = int(np.prod([f.shape[0] for f in fs], dtype=float))
    what = f"the {rows} x {fs[0].shape[1]} Khatri-Rao product"
    checks.budget(8.0 * rows * fs[0].shape[1], what, "sample its rows (sample_kr_rows) instead",
                  name="factors")  # fmt: skip
    return reduce(linalg.khatri_rao, fs)


def kr_leverage_bound(factors: Sequence[object]) -> np.ndarray:
    """The product of the factors' leverage scores (J_1 ... J_k,), C order: an upper bound on
    the leverage scores of their Khatri–Rao product."""
    scores = [leverage_scores(f) for f in check_factors(factors)]
    return reduce(np.multiply.outer, scores).reshape(-1)


def sample_kr_rows(factors: Sequence[object], n_samples: int,
                   sample_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(idx (s, k), weights (s,)): s rows of A_1 ⊙ ... ⊙ A_k drawn from the product distribution
    p(j_1..j_k) = prod_i l_{j_i}(A_i) / rank(A_i), one factor at a time, with their importance
    weights 1 / sqrt(s p); Z itself is never formed."""
    fs = check_factors(factors)
    s = checks.integer(n_samples, "n_samples", min=1)
    return _draw_kr_rows(fs, s, np.random.default_rng(checks.seed(sample_seed, "sample_seed")))


def _draw_kr_rows(factors: list[np.ndarray], s: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """:func:`sample_kr_rows` for checked factors and a generator (the inner loop of CP-ALS)."""
    idx, prob = np.empty((s, len(factors)), dtype=np.int64), np.ones(s)
    for i, f in enumerate(factors):
        p = np.sum(orthonormal_range(f) ** 2, axis=1)
        p /= p.sum()
        idx[:, i] = rng.choice(len(p), size=s, p=p)
        prob *= p[idx[:, i]]
    return idx, 1.0 / np.sqrt(s * prob)


def kr_rows(factors: Sequence[object], idx: object) -> np.ndarray:
    """Rows idx (s, k) of A_1 ⊙ ... ⊙ A_k (s, R): A_1[j_1] * ... * A_k[j_k]."""
    fs = check_factors(factors)
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"idx must hold integer row indices, got dtype {idx.dtype}")
    if idx.ndim != 2 or idx.shape[1] != len(fs):
        raise ValueError(f"idx must have one column per factor ({len(fs)}), got {idx.shape}")
    for i, f in enumerate(fs):
        if idx[:, i].min(initial=0) < 0 or idx[:, i].max(initial=0) >= f.shape[0]:
            raise ValueError(f"idx[:, {i}] must lie in 0..{f.shape[0] - 1}")
    return reduce(np.multiply, (f[idx[:, i]] for i, f in enumerate(fs)))
