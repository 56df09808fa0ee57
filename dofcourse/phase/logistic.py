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
from scipy import optimize, special

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


def _fit(log_d: np.ndarray, ok: np.ndarray) -> tuple[float, float]:
    """(ln d50, s) maximising the Bernoulli likelihood of 0/1 outcomes ``ok`` at ``log_d``."""
    if not ok.any():
        return math.inf, math.nan
    if ok.all():
        return float(log_d.min()), math.nan
    y = ok.astype(float)

    def nll(p: np.ndarray) -> float:
        z = (log_d - p[0]) / p[1]
        return -float(np.sum(y * special.log_expit(z) + (1 - y) * special.log_expit(-z)))

    # start: halfway between the largest failing and smallest succeeding log d
    start = [0.5 * (log_d[~ok].max() + log_d[ok].min()), 0.5]
    bounds = [(log_d.min() - 2.0, log_d.max() + 2.0), S_BOUNDS]
    res = optimize.minimize(nll, start, method="L-BFGS-B", bounds=bounds)
    return float(res.x[0]), float(res.x[1])


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

    memo: dict[bytes, tuple[float, float]] = {}  # both bootstraps draw the same resamples

    def params(rows: np.ndarray) -> tuple[float, float]:
        key = rows.tobytes()
        if key not in memo:
            memo[key] = _fit(np.broadcast_to(log_d, rows.shape).ravel(), rows.ravel() > 0.5)
        return memo[key]

    def d50(rows: np.ndarray) -> float:
        return math.exp(params(rows)[0])

    def width(rows: np.ndarray) -> float:
        return 81.0 ** params(rows)[1]

    m, s = params(x)
    boot = {"n_boot": n_boot, "level": level, "seed": seed}
    est_d50 = stats.bootstrap(x, d50, **boot)
    if bool((x > 0.5).all()):  # the transition is somewhere below the grid: at most dims[0]
        low = float(min(dims))
        est_d50 = stats.Estimate(low, 0.0, low, "below the grid", level, x.shape[0])
    est_width = stats.bootstrap(x, width, **boot) if math.isfinite(s) else stats.Estimate(
        math.nan, math.nan, math.nan, "bootstrap", level, x.shape[0])  # fmt: skip
    return LogisticFit(est_d50, est_width, s)
