"""dofcourse.stats: one estimate type, Wilson/t/bootstrap intervals, one crossing convention."""

import math

import numpy as np
import pytest
from scipy import stats as st

from dofcourse import stats


def test_wilson_matches_the_closed_form_and_never_collapses():
    e = stats.wilson(0, 10)
    assert e.value == 0 and e.lo == 0 and e.hi == pytest.approx(0.2775, abs=1e-4)
    e = stats.wilson(10, 10)
    assert e.hi == 1 and e.lo == pytest.approx(0.7225, abs=1e-4)
    e = stats.wilson(5, 10)
    assert e.contains(0.5) and e.method == "wilson" and e.n == 10
    lo, hi = stats.wilson_bounds(np.array([0, 5]), np.array([10, 10]))
    assert lo[1] == pytest.approx(e.lo) and hi[0] == pytest.approx(0.2775, abs=1e-4)


def test_wilson_coverage_is_near_nominal():
    rng = np.random.default_rng(0)
    p, n = 0.3, 40
    k = rng.binomial(n, p, size=4000)
    lo, hi = stats.wilson_bounds(k, np.full_like(k, n))
    assert 0.93 < np.mean((lo <= p) & (p <= hi)) < 0.97


def test_mean_t_uses_student_t():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    e = stats.mean_t(x)
    half = st.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert e.value == 2.5 and e.hi - e.value == pytest.approx(half)
    with pytest.raises(ValueError, match="2"):
        stats.mean_t([1.0])


def test_bootstrap_interval_covers_and_handles_inf():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 1.0, size=50)
    e = stats.bootstrap(x, np.mean, seed=0)
    assert e.lo < 3.0 < e.hi and e.lo < e.value < e.hi
    half_inf = np.array([1.0, 2.0, math.inf, math.inf])
    e = stats.bootstrap(half_inf, np.median, seed=0)
    assert e.hi == math.inf and np.isfinite(e.lo)


def test_crossing_convention():
    d = [10, 100, 1000]
    assert stats.crossing(d, [0.2, 0.6, 1.0], 0.8, log_x=True) == pytest.approx(math.sqrt(1e5))
    assert stats.crossing(d, [0.2, 0.6, 1.0], 0.8) == pytest.approx(550)
    assert stats.crossing(d, [0.9, 0.95, 1.0], 0.8) == 10
    assert stats.crossing(d, [0.1, 0.2, 0.3], 0.8) == math.inf
    with pytest.raises(ValueError, match="increasing"):
        stats.crossing([100, 10], [0.1, 0.2], 0.5)


def test_bootstrap_vectorized_gives_the_same_estimate_as_the_loop():
    x = np.random.default_rng(4).normal(size=(15, 3))
    loop = stats.bootstrap(x, lambda rows: rows[:, 0].mean(), n_boot=300, seed=2)
    vec = stats.bootstrap(x, lambda stack: stack[..., 0].mean(-1), n_boot=300, seed=2,
                          vectorized=True)  # fmt: skip
    assert (vec.value, vec.lo, vec.hi) == pytest.approx((loop.value, loop.lo, loop.hi), rel=1e-12)
