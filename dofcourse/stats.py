"""One estimate type, with its interval, and the few statistics the course needs.

Every number the course estimates from random runs (a success probability, a Monte Carlo width, a
Hutchinson trace, a threshold dimension) is reported as an :class:`Estimate`: a value, an interval
and the method that made the interval. Three methods cover the course:

* :func:`wilson` for a success probability k/n (chapters 01, 05–07): unlike p ± z√(p(1−p)/n) it does
  not collapse to a point at 0 or 1, which is exactly where a phase transition's ends lie;
* :func:`mean_t` for the mean of independent samples (Student t; chapters 02 and 04);
* :func:`bootstrap` for anything else computed from seeds (a threshold read off a curve,
  chapters 03 and 05): resample the seeds, recompute, take the central quantiles.

:func:`crossing` reads the point where a rising curve first reaches a level; it is the one
convention used wherever the course reads a threshold off a curve (see its docstring).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from dofcourse import checks


@dataclass(frozen=True)
class Estimate:
    """A value with an interval [lo, hi] at confidence ``level``, made by ``method``.

    ``n`` is the number of samples (seeds, trials, probes) behind it; ``stderr`` the standard
    error where the method has one (``mean_t``), else NaN.
    """

    value: float
    lo: float
    hi: float
    method: str
    level: float = 0.95
    n: int = 0
    stderr: float = math.nan

    def contains(self, x: float) -> bool:
        """True when ``lo <= x <= hi``."""
        return self.lo <= x <= self.hi

    def overlaps(self, lo: float, hi: float | None = None) -> bool:
        """True when the interval meets [lo, hi] (the point lo when ``hi`` is None)."""
        hi = lo if hi is None else hi
        return self.lo <= hi and lo <= self.hi

    @property
    def half_width(self) -> float:
        """Half the interval's width (the "±" of a symmetric interval)."""
        return (self.hi - self.lo) / 2

    def __str__(self) -> str:
        return (
            f"{self.value:.4g} [{self.lo:.4g}, {self.hi:.4g}] "
            f"({round(100 * self.level)} % {self.method}, n={self.n})"
        )


def _level(level: float) -> float:
    return checks.real(level, "level", min=0.0, max=1.0, open_min=True, open_max=True)


def wilson_bounds(
    successes: np.ndarray | int, trials: np.ndarray | int, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise Wilson score bounds (lo, hi) for arrays of successes and trials (trials ≥ 1)."""
    k, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= successes <= trials and trials >= 1")
    z = _st.norm.ppf(0.5 + _level(level) / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # exact ends at k = 0 and k = n (the closed form gives them up to rounding)
    lo = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


def wilson(successes: int, trials: int, level: float = 0.95) -> Estimate:
    """The success probability k/n with its Wilson score interval."""
    trials = checks.integer(trials, "trials", min=1)
    successes = checks.integer(successes, "successes", min=0, max=trials)
    lo, hi = wilson_bounds(successes, trials, level)
    return Estimate(successes / trials, float(lo), float(hi), "wilson", level, trials)


def mean_t(samples: Sequence[float] | np.ndarray, level: float = 0.95) -> Estimate:
    """The mean of independent samples with a Student-t interval (at least 2 samples)."""
    x = checks.array(samples, "samples", ndim=1)
    if x.size < 2:
        raise ValueError(f"mean_t needs at least 2 finite samples, got {x.size}")
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    half = float(_st.t.ppf(0.5 + _level(level) / 2, x.size - 1)) * se
    m = float(x.mean())
    return Estimate(m, m - half, m + half, "t", level, int(x.size), se)


def bootstrap(
    samples: np.ndarray,
    statistic: Callable[[np.ndarray], float],
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
    vectorized: bool = False,
) -> Estimate:
    """``statistic(samples)`` with a percentile bootstrap interval over the rows of ``samples``.

    ``samples`` has shape (n, ...) with one row per independent unit (a seed); each of ``n_boot``
    resamples draws n rows with replacement. Non-finite resampled values (a threshold beyond the
    grid is ``inf``) are kept, so an interval can honestly reach ``inf``. With ``vectorized``,
    ``statistic`` takes a stack of samples (B, n, ...) and returns B values, and is called once
    for all resamples (the logistic fits of chapter 05).
    """
    x = checks.array(samples, "samples", finite=False)  # inf is a sample (beyond the grid)
    if x.ndim == 0 or x.shape[0] < 2:
        raise ValueError(f"bootstrap needs at least 2 rows of samples, got shape {x.shape}")
    if not callable(statistic):
        raise TypeError(f"statistic must be a function of the samples, got {statistic!r}")
    n_boot = checks.integer(n_boot, "n_boot", min=10)
    vectorized = checks.boolean(vectorized, "vectorized")
    rng = np.random.default_rng(checks.seed(seed))
    idx = rng.integers(0, x.shape[0], size=(n_boot, x.shape[0]))
    if vectorized:
        boot = np.asarray(statistic(x[idx]), dtype=float).reshape(n_boot)
        value = float(np.asarray(statistic(x[None]), dtype=float).reshape(1)[0])
    else:
        boot = np.array([statistic(x[i]) for i in idx], dtype=float)
        value = float(statistic(x))
    a = (1 - _level(level)) / 2
    # "lower"/"higher" pick sample values, so an interval reaching inf stays well defined
    lo, hi = np.quantile(boot, a, method="lower"), np.quantile(boot, 1 - a, method="higher")
    return Estimate(value, float(lo), float(hi), "bootstrap", level, x.shape[0])


def crossing(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    level: float,
    *,
    log_x: bool = False,
) -> float:
    """The first x at which a rising curve y(x) reaches ``level``.

    The course's one convention: x must increase; the answer is interpolated linearly between the
    two grid points that bracket the first reaching point (linearly in log x with ``log_x``, for
    grids in powers of two); it is ``x[0]`` when y[0] already reaches the level, and ``inf`` when
    no point does (the crossing lies beyond the grid: comparisons with it still read correctly).
    """
    xs, ys = checks.array(x, "x", ndim=1), checks.array(y, "y", ndim=1)
    level = checks.real(level, "level")
    log_x = checks.boolean(log_x, "log_x")
    if xs.shape != ys.shape or xs.size == 0:
        raise ValueError(f"x and y must be 1-D of the same length, got {xs.shape} and {ys.shape}")
    if np.any(np.diff(xs) <= 0):
        raise ValueError("x must be strictly increasing")
    if log_x and xs[0] <= 0:
        raise ValueError("log_x needs positive x")
    hit = np.flatnonzero(ys >= level)
    if hit.size == 0:
        return math.inf
    i = int(hit[0])
    if i == 0:
        return float(xs[0])
    t = (level - ys[i - 1]) / (ys[i] - ys[i - 1])
    if log_x:
        return float(np.exp(np.log(xs[i - 1]) + t * (np.log(xs[i]) - np.log(xs[i - 1]))))
    return float(xs[i - 1] + t * (xs[i] - xs[i - 1]))
