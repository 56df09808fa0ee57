"""dofcourse.phase.success and .logistic: success probabilities, thresholds and the logistic fit
on hand-made tables whose answers are known."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from dofcourse import phase, stats


def table(accs: dict[int, list[float]], t: int = 0) -> pd.DataFrame:
    """A table of runs: accs[d][seed] is the best training accuracy of that run."""
    rows = [{"t": t, "d": d, "proj_seed": s, "best_train_acc": a, "loss": 1 - a}
            for d, col in accs.items() for s, a in enumerate(col)]  # fmt: skip
    return pd.DataFrame(rows)


RUNS = table({2: [0.1, 0.2, 0.3, 0.4], 4: [0.5, 0.95, 0.2, 0.1], 8: [0.9, 0.95, 0.99, 0.91]})


def test_success_table_counts_and_wilson():
    t = phase.success_table(RUNS, [0.9, 0.5])
    row = t[(t.eps == 0.9) & (t.d == 4)].iloc[0]
    assert (row.k, row.n, row.p) == (1, 4, 0.25)
    ref = stats.wilson(1, 4)
    assert (row.lo, row.hi) == pytest.approx((ref.lo, ref.hi))
    assert t[(t.eps == 0.5) & (t.d == 2)].k.item() == 0
    assert t[(t.eps == 0.5) & (t.d == 8)].k.item() == 4
    assert list(t.columns) == ["t", "eps", "d", "k", "n", "p", "lo", "hi"]


def test_threshold_is_where_the_logistic_fit_crosses_the_level():
    # P = (1/4, 1/2, 3/4) at d = (2, 4, 8), 4 seeds: by symmetry the fit's midpoint is d = 4, and
    # its scale s maximises the binomial likelihood, found here by a 1-D search
    sym = table({2: [0.95, 0.1, 0.1, 0.1], 4: [0.95, 0.1, 0.95, 0.1], 8: [0.95, 0.95, 0.95, 0.1]})
    x, k = np.log([2.0, 4.0, 8.0]), np.array([1.0, 2.0, 3.0])

    def nll(s):
        z = (x - np.log(4.0)) / s
        return -np.sum(k * special.log_expit(z) + (4 - k) * special.log_expit(-z))

    s = optimize.minimize_scalar(nll, bounds=(0.02, 5.0), method="bounded",
                                 options={"xatol": 1e-10}).x  # fmt: skip
    th = phase.thresholds(sym, 0.9, delta=0.4, n_boot=None)  # where the fit reaches P = 0.6
    assert th.d_star[0] == pytest.approx(4 * 1.5**s, rel=1e-5)
    # at P = 0.9 the fit crosses at 4 * 9^s = 16, beyond the grid, where no d reaches 0.9
    assert phase.thresholds(sym, 0.9, n_boot=None).d_star[0] == math.inf
    assert phase.logistic_fit([2, 4, 8], phase.success_matrix(sym, 0.9)[1]).d50.value == (
        pytest.approx(4.0, rel=1e-6)
    )
    assert th.estimate[0].method == "point" and th.t[0] == 0
    never = phase.thresholds(RUNS, 0.999, n_boot=None).d_star[0]
    assert never == math.inf
    always = phase.thresholds(RUNS, 0.05, n_boot=None).d_star[0]
    assert always == 2
    # a step between two grid points: d* is close to their geometric mean, not late in the octave
    step = phase.thresholds(table({2: [0.1] * 4, 4: [0.1] * 4, 8: [0.95] * 4}), 0.9, n_boot=None)
    assert 4 * 2**0.5 * 0.95 < step.d_star[0] < 4 * 2**0.5 * 1.15
    # the runs reach the level only at the last d, where the fit crosses beyond it: that d
    top = phase.thresholds(table({2: [0.1] * 4, 4: [0.1, 0.1, 0.1, 0.95], 8: [0.95] * 4}), 0.9,
                           n_boot=None)  # fmt: skip
    assert 4 < top.d_star[0] <= 8


def test_threshold_does_not_depend_on_the_grid():
    # many seeds from a known logistic: a 2x grid and a quarter-octave grid agree with the truth,
    # where linear interpolation on the 2x grid lands late in the octave
    rng = np.random.default_rng(5)
    d50, s = 150.0, 0.15
    truth = d50 * 9**s
    for dims in (
        [2**k for k in range(3, 12)],
        sorted({round(2 ** (k / 4)) for k in range(20, 40)}),
    ):
        p = phase.logistic(np.array(dims, dtype=float), d50, s)
        ok = rng.uniform(size=(400, len(dims))) < p
        est = phase.success.threshold(dims, ok, n_boot=None).value
        assert est == pytest.approx(truth, rel=0.06), (dims, est, truth)
    coarse = [2**k for k in range(3, 12)]
    linear = stats.crossing(coarse, phase.logistic(np.array(coarse, dtype=float), d50, s), 0.9,
                            log_x=True)  # fmt: skip
    assert linear > 1.1 * truth  # the bias the fit removes


def test_lower_is_better_for_losses():
    by_loss = phase.thresholds(RUNS, 0.1, metric="loss", higher=False, n_boot=None).d_star[0]
    by_acc = phase.thresholds(RUNS, 0.9, n_boot=None).d_star[0]
    assert by_loss == pytest.approx(by_acc)


def test_bootstrap_interval_resamples_seeds():
    rng = np.random.default_rng(0)
    accs = {d: list(rng.uniform(0, 1, 20) < p) for d, p in ((4, 0.1), (8, 0.5), (16, 0.95))}
    runs = table({d: [float(a) for a in v] for d, v in accs.items()})
    est = phase.thresholds(runs, 0.5, delta=0.5, n_boot=300).estimate[0]
    assert est.method == "bootstrap" and est.n == 20
    assert est.lo <= est.value <= est.hi and est.lo < est.hi


def test_groups_by_burn_in():
    runs = pd.concat([RUNS, table({2: [1.0] * 4, 4: [1.0] * 4, 8: [1.0] * 4}, t=8)])
    th = phase.thresholds(runs, 0.9, n_boot=None)
    alone = phase.thresholds(RUNS, 0.9, n_boot=None).d_star[0]
    assert th.set_index("t").d_star.to_dict() == pytest.approx({0: alone, 8: 2})


def test_success_matrix_and_bad_tables():
    dims, ok = phase.success_matrix(RUNS, 0.9)
    assert list(dims) == [2, 4, 8] and ok.shape == (4, 3) and ok[:, 2].all()
    with pytest.raises(ValueError, match="several rows"):
        phase.success_matrix(pd.concat([RUNS, RUNS]), 0.9)
    with pytest.raises(ValueError, match="every"):
        phase.success_matrix(RUNS.drop(index=0), 0.9)
    with pytest.raises(ValueError, match="lacks"):
        phase.success_table(RUNS.drop(columns="d"), 0.9)
    with pytest.raises(TypeError, match="DataFrame"):
        phase.thresholds(RUNS.to_dict(), 0.9)
    with pytest.raises(TypeError, match="eps"):
        phase.success_table(RUNS, "0.9")
    with pytest.raises(ValueError, match="delta"):
        phase.thresholds(RUNS, 0.9, delta=1.5)


def test_empirical_width():
    w2, frac = phase.empirical_width([100.0, math.inf], 1000)
    assert w2[0] == 900 and frac[0] == 0.1 and w2[1] == -math.inf


def test_logistic_fit_recovers_known_parameters():
    rng = np.random.default_rng(1)
    dims = [2**k for k in range(2, 12)]
    d50, s = 150.0, 0.4
    p = phase.logistic(np.array(dims), d50, s)
    ok = rng.uniform(size=(200, len(dims))) < p
    fit = phase.logistic_fit(dims, ok, n_boot=60)
    assert fit.d50.contains(d50) and fit.d50.value == pytest.approx(d50, rel=0.15)
    assert fit.s == pytest.approx(s, rel=0.2)
    assert fit.width.value == pytest.approx(81**s, rel=0.3)
    assert fit.p(d50) == pytest.approx(0.5, abs=0.05)


def test_logistic_fit_degenerate_cases():
    dims = [1, 2, 4]
    never = phase.logistic_fit(dims, np.zeros((3, 3)), n_boot=10)
    assert never.d50.value == math.inf and math.isnan(never.width.value)
    assert np.all(never.p(np.array(dims)) == 0)
    always = phase.logistic_fit(dims, np.ones((3, 3)), n_boot=10)
    assert always.d50.value == 1
    step = phase.logistic_fit(dims, np.array([[0, 1, 1]] * 4), n_boot=10)
    assert 1 < step.d50.value < 2 and step.width.value < 1.5
    with pytest.raises(ValueError, match="shape"):
        phase.logistic_fit(dims, np.zeros((1, 3)))


def test_threshold_fits_the_first_rise_of_a_curve_that_dips_later():
    # P = (0, 1, 1, 1/4) at d = (2, 4, 8, 16): reached at d = 4, the dip at 16 does not count
    dip = table({2: [0.1] * 4, 4: [0.95] * 4, 8: [0.95] * 4, 16: [0.95, 0.1, 0.1, 0.1]})
    d_star = phase.thresholds(dip, 0.9, n_boot=None).d_star[0]
    assert 2 < d_star <= 4
    rise = table({2: [0.1] * 4, 4: [0.95] * 4, 8: [0.95] * 4, 16: [0.95] * 4})
    assert d_star == pytest.approx(phase.thresholds(rise, 0.9, n_boot=None).d_star[0], rel=0.02)


def test_threshold_fits_the_rise_from_its_lowest_point():
    # P = (1/2, 0, 0, 1) at d = (2, 4, 8, 16): an early partial success does not stretch the fit
    u = table({2: [0.95, 0.95, 0.1, 0.1], 4: [0.1] * 4, 8: [0.1] * 4, 16: [0.95] * 4})
    d_star = phase.thresholds(u, 0.9, n_boot=None).d_star[0]
    clean = table({2: [0.1] * 4, 4: [0.1] * 4, 8: [0.1] * 4, 16: [0.95] * 4})
    assert d_star == pytest.approx(phase.thresholds(clean, 0.9, n_boot=None).d_star[0], rel=0.02)
    assert 8 < d_star <= 16


def test_burn_in_effect_reads_raised_near_and_far_gains_off_a_threshold_table():
    def row(t, eps, d, lo=None, hi=None):
        return {"t": t, "eps": eps, "d_star": d, "lo": lo or d, "hi": hi or d}

    th = pd.DataFrame([
        row(0, 0.8, 200), row(4, 0.8, 100), row(8, 0.8, 20),  # far helps 2x, near 10x
        row(0, 0.9, 400, 350, 450), row(4, 0.9, 900, 700, 1000), row(8, 0.9, 200),  # 4 raises
        row(0, 0.95, np.inf), row(4, 0.95, 800), row(8, 0.95, 500),  # never reached at t = 0
    ])  # fmt: skip
    own = {0: 0.05, 4: 0.2, 8: 0.7}
    effect = phase.burn_in_effect(th, own).set_index("eps")
    assert effect.raised.to_dict() == {0.8: [], 0.9: [4], 0.95: []}
    assert effect.near_t.to_dict() == {0.8: 8, 0.9: 8, 0.95: 8}
    assert effect.near_gain[0.8] == 10 and effect.far_gain[0.8] == 2
    assert effect.far_gain[0.9] == pytest.approx(400 / 900)
    assert np.isnan(effect.far_gain[0.95]), "no gain against an infinite d*(0)"
    past = phase.burn_in_effect(th, {0: 0.05, 4: 0.2, 8: 0.85}).set_index("eps")
    assert past.near_t[0.8] == 4 and np.isnan(past.far_gain[0.8]), "8 is past 0.8: not below"
    all_far = phase.burn_in_effect(th, {0: 0.0, 4: 0.1, 8: 0.2}).set_index("eps")
    assert np.isnan(all_far.far_gain[0.9]), "the closest anchor is itself far: nothing to compare"
    with pytest.raises(ValueError, match="t = 0"):
        phase.burn_in_effect(th[th.t > 0], own)
