"""CP decomposition by alternating least squares, exact or with leverage-sampled rows.

A rank-R CP model writes a tensor X (I_1 x ... x I_N) as a sum of R outer products,
X ~ sum_r a_r^(1) o ... o a_r^(N), with factor matrices A_n = [a_1^(n) ... a_R^(n)] (I_n, R).
ALS updates one factor at a time; with the others fixed, the mode-n unfolding X_(n) (I_n, prod of
the other sizes) gives a linear least-squares problem

    A_n = argmin_A || Z A^T - X_(n)^T ||,   Z = Khatri–Rao product of the other factors,

with prod_{m != n} I_m rows and R columns. Exact ALS solves it through its normal equations
(Z^T Z is the entrywise product of the small Gram matrices A_m^T A_m, Z^T X_(n)^T a matricised
tensor times Khatri–Rao product that touches every entry of X). The sampled variant (CP-ARLS-LEV,
Larsen and Kolda 2022) draws s rows of Z from the product of the factors' leverage scores
(:func:`~dofcourse.sketching.khatri_rao.sample_kr_rows`) and solves the weighted s-row problem:
it reads s fibres of X instead of all of them. Appendix A1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dofcourse import checks
from dofcourse.sketching.khatri_rao import _draw_kr_rows, check_factors, khatri_rao


@dataclass
class CPResult:
    """Factors (list of (I_n, R)), final ``fit`` = 1 - ||X - X_hat|| / ||X||, the wall and CPU
    seconds of the iterations (fits excluded), and per iteration (when tracked) the cumulative
    CPU seconds and the fit."""

    method: str
    factors: list
    fit: float
    seconds: float
    cpu_seconds: float
    n_iter: int
    cpu_trace: list = field(default_factory=list)
    fit_trace: list = field(default_factory=list)


def unfold(X: object, mode: int) -> np.ndarray:
    """X_(mode) (I_mode, prod of the others), the other modes in order, the last fastest."""
    X = checks.array(X, "X")
    mode = checks.integer(mode, "mode", min=0, max=X.ndim - 1)
    return np.moveaxis(X, mode, 0).reshape(X.shape[mode], -1)


def cp_tensor(factors: Sequence[object]) -> np.ndarray:
    """The full tensor sum_r a_r^(1) o ... o a_r^(N) of the factors."""
    fs = check_factors(factors)
    return (fs[0] @ khatri_rao(fs[1:]).T).reshape([f.shape[0] for f in fs])


def cp_fit(X: object, factors: Sequence[object]) -> float:
    """1 - ||X - cp_tensor(factors)||_F / ||X||_F (1 is a perfect fit)."""
    X = checks.array(X, "X")
    fs = check_factors(factors, "factors", X.shape)
    return _fit(X, fs, float(np.linalg.norm(X)))


def _fit(X: np.ndarray, fs: list[np.ndarray], norm_x: float) -> float:
    """The fit without forming X_hat: ||X - X_hat||^2 = ||X||^2 - 2 <X, X_hat> + ||X_hat||^2,
    <X, X_hat> = sum(A_1 * mttkrp(X, mode 1)), ||X_hat||^2 = sum of the Gram matrices' product."""
    inner = float(np.sum(fs[0] * _mttkrp(X, fs, 0)))
    model = float(np.sum(np.prod([f.T @ f for f in fs], axis=0)))
    return float(1 - np.sqrt(max(norm_x**2 - 2 * inner + model, 0.0)) / norm_x)


def random_factors(shape: Sequence[int], rank: int, seed: int = 0) -> list[np.ndarray]:
    """N(0, 1) factor matrices (I_n, rank) for a tensor of ``shape``."""
    shape = checks.integers(shape, "shape", min=1)
    rank = checks.integer(rank, "rank", min=1)
    checks.budget(8.0 * sum(shape) * rank, f"factors of {shape} with rank {rank}",
                  "use smaller dimensions or a lower rank", name="shape and rank")  # fmt: skip
    rng = np.random.default_rng(checks.seed(seed))
    return [rng.standard_normal((i, rank)) for i in shape]


def low_rank_tensor(shape: Sequence[int], rank: int, noise: float = 0.1,
                    tensor_seed: int = 0) -> np.ndarray:  # fmt: skip
    """A random rank-``rank`` tensor plus Gaussian noise of relative size ``noise``
    (||N|| = noise ||X_true||): the best rank-``rank`` fit is then about 1 - noise."""
    noise = checks.real(noise, "noise", min=0.0)
    cells = float(np.prod(checks.integers(shape, "shape", min=1), dtype=float))
    checks.budget(8.0 * 3 * cells, f"a dense tensor of shape {tuple(shape)} (and its noise)",
                  "use a smaller shape", name="shape")  # fmt: skip
    clean = cp_tensor(random_factors(shape, rank, checks.seed(tensor_seed, "tensor_seed")))
    rng = np.random.default_rng([tensor_seed, 1])
    n = rng.standard_normal(clean.shape)
    return clean + noise * np.linalg.norm(clean) / np.linalg.norm(n) * n


def mttkrp(X: object, factors: Sequence[object], mode: int) -> np.ndarray:
    """X_(mode) @ (Khatri–Rao product of the other factors), (I_mode, R), without copying X:
    X seen as (before, I_mode, after) is multiplied by the products of the factors after the
    mode, then of those before it (the same numbers as the unfolding, in two matrix products)."""
    X = checks.array(X, "X")
    fs = check_factors(factors, "factors", X.shape)
    return _mttkrp(X, fs, checks.integer(mode, "mode", min=0, max=X.ndim - 1))


def _mttkrp(X: np.ndarray, factors: list[np.ndarray], mode: int) -> np.ndarray:
    before = int(np.prod(X.shape[:mode]))
    n, after = X.shape[mode], int(np.prod(X.shape[mode + 1 :]))
    if after == 1:
        return X.reshape(before, n).T @ khatri_rao(factors[:mode])
    t = X.reshape(before * n, after) @ khatri_rao(factors[mode + 1 :])  # (before * I_mode, R)
    if before == 1:
        return t
    return np.einsum("anr,ar->nr", t.reshape(before, n, -1), khatri_rao(factors[:mode]))


def _exact_update(X: np.ndarray, fs: list[np.ndarray], mode: int, rng: object, s: int) -> None:
    gram = np.prod([f.T @ f for m, f in enumerate(fs) if m != mode], axis=0)
    fs[mode] = _solve(gram, _mttkrp(X, fs, mode).T).T


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a^{-1} b; the least-squares (minimum-norm) solution when a is singular (a factor that
    collapsed to rank < R, a degenerate start), where ``np.linalg.solve`` fails."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _sampled_update(X: np.ndarray, fs: list[np.ndarray], mode: int, rng: object, s: int) -> None:
    others = [f for m, f in enumerate(fs) if m != mode]
    idx, w = _draw_kr_rows(others, s, rng)
    zw = w[:, None] * np.prod([f[idx[:, i]] for i, f in enumerate(others)], axis=0)  # (s, R)
    fibres = np.moveaxis(X, mode, -1)[tuple(idx.T)]  # (s, I_mode): X at the sampled rows
    fs[mode] = _solve(zw.T @ zw, zw.T @ (w[:, None] * fibres)).T


def cp_als(X: object, init: Sequence[object], n_iter: int, *, n_samples: int | None = None,
           sample_seed: int = 0, track: bool = False) -> CPResult:  # fmt: skip
    """``n_iter`` sweeps of ALS over all modes from the factors ``init``; exact, or with
    ``n_samples`` leverage-sampled rows per least-squares problem. ``track`` records the fit after
    every sweep (its computation is not timed)."""
    X = checks.array(X, "X")
    if not X.any():
        raise ValueError("X is all zeros: its CP decomposition is the zero tensor (nothing to fit)")
    fs = [f.copy() for f in check_factors(init, "init", X.shape)]
    n_iter = checks.integer(n_iter, "n_iter", min=1)
    track = checks.boolean(track, "track")
    s = None if n_samples is None else checks.integer(n_samples, "n_samples", min=1)
    update = _exact_update if s is None else _sampled_update
    rng = np.random.default_rng(checks.seed(sample_seed, "sample_seed"))
    wall = cpu = 0.0
    cpu_trace, fit_trace, norm_x = [], [], float(np.linalg.norm(X))
    for _ in range(n_iter):
        w0, c0 = time.perf_counter(), time.process_time()
        for mode in range(X.ndim):
            update(X, fs, mode, rng, s or 0)
        wall, cpu = wall + time.perf_counter() - w0, cpu + time.process_time() - c0
        if track:
            cpu_trace.append(cpu)
            fit_trace.append(_fit(X, fs, norm_x))
    method = "ALS (ours)" if s is None else f"sampled ALS (ours, s={s})"
    return CPResult(method, fs, _fit(X, fs, norm_x), wall, cpu, n_iter, cpu_trace, fit_trace)
