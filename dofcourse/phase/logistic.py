"""A logistic fit of the success probability in log d: where the transition is, and how sharp.

The thresholds of ``phase.success`` read one level (1 - delta) off the grid. A fit uses every run:

    P(d) = 1 / (1 + exp(-(ln d - ln d50) / s)),

fitted by maximum likelihood to the individual successes (Bernoulli, one per run), so seeds and
dimensions all count. d50 is the 50 % point; the **width** d90 / d10 = 81^s is the factor in d
over which P climbs from 10 % to 90 % (a sharp transition has a width close to 1, i.e. a small
fraction of an octave). Intervals resample the seeds (``stats.bootstrap``). When every run fails
(or succeeds) the fit has no transition to place: d50 = inf (or the smallest d, with the interval
[0, smallest d]: the transition lies somewhere below the grid) and width NaN.
Taught in chapter 05.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from dofcourse import checks, stats
from dofcourse.phase.success import check_successes

S_BOUNDS = (0.02, 5.0)  # the scale s in units of ln d: from a step to a ramp over decades


@dataclass(frozen=True)
class LogisticFit:
    """``d50`` and ``width`` (= d90 / d10) as ``stats.Estimate``; ``s`` the fitted scale."""

    d50: stats.Estimate
    width: stats.Estimate
    s: float

    def p(self, d: np.ndarray | float) -> np.ndarray:
        """The fitted P at dimensions d."""
        return _logistic(np.asarray(d, dtype=float), self.d50.value, self.s)


def logistic(d: np.ndarray | float, d50: float, s: float) -> np.ndarray:
    """P(d) = 1 / (1 + exp(-(ln d - ln d50) / s)); 0 everywhere for d50 = inf."""
    d = checks.array(d, "d")
    if (d <= 0).any():
        raise ValueError("d must hold dimensions > 0")
    d50 = math.inf if d50 == math.inf else checks.real(d50, "d50", min=0.0, open_min=True)
    return _logistic(d, d50, checks.real(s, "s", min=0.0, open_min=True))


def _logistic(d: np.ndarray, d50: float, s: float) -> np.ndarray:
    if not math.isfinite(d50):
        return np.zeros_like(d)
    return special.expit((np.log(d) - math.log(d50)) / s)


def fit_counts(
    log_d: np.ndarray, k: np.ndarray, n: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """(ln d50 (B,), s (B,)): the maximum-likelihood logistic in ln d for each row of ``k`` (B, J),
    the successes out of ``n`` (J,) or (B, J) trials at ``log_d`` (J,), all B rows fitted at once
    (a column with n = 0 does not count).

    Damped Newton on logit P = a + b ln d (b = 1/s, kept in [1 / S_BOUNDS[1], 1 / S_BOUNDS[0]]),
    from a start midway between the last failure and the first success. Rows without a success
    get (inf, nan); rows where every trial succeeds (min ln d, nan). Vectorised so that a bootstrap
    of a thousand resamples costs one fit (chapters 05 and 06).
    """
    x = np.asarray(log_d, dtype=float)
    k = np.atleast_2d(np.asarray(k, dtype=float))
    n = np.broadcast_to(np.asarray(n, dtype=float), k.shape)
    kn, back = np.unique(np.hstack([k, n]), axis=0, return_inverse=True)  # few distinct rows
    k, n, back = kn[:, : x.size], kn[:, x.size :], back.reshape(-1)
    none, every = (k <= 0).all(1), (k >= n).all(1)
    top_fail = np.where(k < n, x, -np.inf).max(1)
    low_ok = np.where(k > 0, x, np.inf).min(1)
    mixed = ~none & ~every
    m0 = np.where(mixed, 0.5 * (np.where(mixed, top_fail, 0) + np.where(mixed, low_ok, 0)), 0)
    b_lo, b_hi = 1 / S_BOUNDS[1], 1 / S_BOUNDS[0]
    b = np.full(len(k), 2.0)
    a = -b * m0

    def nll(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        z = a[..., None] + b[..., None] * x
        v = -(k * special.log_expit(z) + (n - k) * special.log_expit(-z)).sum(-1)
        return np.where(np.isfinite(v), v, np.inf)

    steps = 0.5 ** np.arange(8)[:, None]  # try the full Newton step and seven halvings
    for _ in range(100):
        z = a[:, None] + b[:, None] * x
        p = special.expit(z)
        r, w = k - n * p, n * p * (1 - p) + 1e-12
        ga, gb = r.sum(1), (r * x).sum(1)
        haa, hab, hbb = w.sum(1), (w * x).sum(1), (w * x * x).sum(1)
        det = haa * hbb - hab**2 + 1e-12
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        pinned = ((b >= b_hi) & (db > 0)) | ((b <= b_lo) & (db < 0))  # a bound: move a alone
        da, db = np.where(pinned, ga / haa, da), np.where(pinned, 0.0, db)
        cand_a, cand_b = a + steps * da, np.clip(b + steps * db, b_lo, b_hi)
        values = nll(cand_a, cand_b)  # (8, B)
        best = values.argmin(0)
        cols, current = np.arange(len(k)), nll(a, b)
        better = values[best, cols] < current - 1e-12
        if not better.any():  # no row can improve: converged
            break
        a = np.where(better, cand_a[best, cols], a)
        b = np.where(better, cand_b[best, cols], b)
    m = np.where(none, np.inf, np.where(every, x.min(), -a / b))
    return m[back], np.where(mixed, 1 / b, np.nan)[back]


def level_crossing(dims: Sequence[int], successes: np.ndarray, level: float) -> np.ndarray:
    """d where the fitted logistic reaches ``level``, for each stack of outcomes ``successes``
    (..., n_seeds, n_dims) of 0/1 at increasing ``dims``: d50 * (level / (1 - level))^s.

    The course's threshold d* (``phase.success.threshold``): the fit uses the runs around the
    transition, so it does not depend on where the grid's points fall. It is a fit of the *first*
    rise, from the lowest P before the level is first reached: where P falls below the level
    again after reaching it (a success curve that dips at large d, chapter 06's lottery subspaces
    under Adam), the larger d are left out, and so are the small d of a curve that starts high and
    dips before it rises (an anchor close to the target, chapter 05's burn-in). Clipped to
    the grid: ``dims[0]`` when the fit crosses below it (or every run succeeds); beyond the last
    d fitted it is that d if its runs reach the level, and ``inf`` (not reached) otherwise.
    Chapters 05 and 06.
    """
    x = np.asarray(successes, dtype=float)
    flat = x.reshape(-1, *x.shape[-2:])
    n_dims = flat.shape[2]
    dims_f = np.asarray(dims, dtype=float)
    p = flat.mean(1)  # (B, n_dims)
    reached = p >= level
    cols = np.arange(n_dims)
    first = np.where(reached.any(1), reached.argmax(1), n_dims - 1)
    fell = ~reached & (cols > first[:, None])  # below the level again, after it
    stop = np.where(reached.any(1) & fell.any(1), fell.argmax(1), n_dims)  # columns [start, stop)
    before = np.where(cols <= first[:, None], p, np.inf)  # the rise starts at its lowest point
    start = n_dims - 1 - np.argmin(before[:, ::-1], axis=1)
    use = (cols >= start[:, None]) & (cols < stop[:, None])
    m, s = fit_counts(np.log(dims_f), flat.sum(1) * use, flat.shape[1] * use)
    logit = math.log(level / (1 - level))
    d = np.where(np.isfinite(s), np.exp(m + np.nan_to_num(s) * logit), np.exp(m))
    last = stop - 1
    top_ok = reached[np.arange(len(p)), last]
    low = np.where(reached[:, 0], dims_f[0], dims_f[start])
    d = np.where(d > dims_f[last], np.where(top_ok, dims_f[last], np.inf), np.maximum(d, low))
    return d.reshape(x.shape[:-2])


def logistic_fit(
    dims: Sequence[int],
    successes: np.ndarray,
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> LogisticFit:
    """Fit P(d) to ``successes`` (n_seeds, n_dims) of 0/1 at ``dims``; intervals resample seeds."""
    dims = checks.integers(dims, "dims", min=1)
    x = check_successes(successes, len(dims), min_seeds=2)
    log_d = np.log(np.asarray(dims, dtype=float))

    def params(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (B, n_seeds, n_dims)
        return fit_counts(log_d, stack.sum(1), stack.shape[1])

    def d50(stack: np.ndarray) -> np.ndarray:
        return np.exp(params(stack)[0])

    def width(stack: np.ndarray) -> np.ndarray:
        return 81.0 ** params(stack)[1]

    m, s = (float(v[0]) for v in params(x[None]))
    boot = {"n_boot": n_boot, "level": level, "seed": seed, "vectorized": True}
    est_d50 = stats.bootstrap(x, d50, **boot)
    if bool((x > 0.5).all()):  # the transition is somewhere below the grid: at most dims[0]
        low = float(min(dims))
        est_d50 = stats.Estimate(low, 0.0, low, "below the grid", level, x.shape[0])
    est_width = stats.bootstrap(x, width, **boot) if math.isfinite(s) else stats.Estimate(
        math.nan, math.nan, math.nan, "bootstrap", level, x.shape[0])  # fmt: skip
    return LogisticFit(est_d50, est_width, s)
