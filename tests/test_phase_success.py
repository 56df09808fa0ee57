"""dofcourse.phase.success and .logistic: success probabilities, thresholds and the logistic fit
on hand-made tables whose answers are known."""

import math

import numpy as np
import pandas as pd
import pytest

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


def test_threshold_is_the_first_crossing_interpolated_in_log_d():
    th = phase.thresholds(RUNS, 0.9, n_boot=None)
    # P = (0, 0.25, 1) at d = (2, 4, 8): crosses 0.9 at 4 * 2 ** ((0.9 - 0.25) / 0.75)
    assert th.d_star[0] == pytest.approx(4 * 2 ** (0.65 / 0.75))
    assert th.estimate[0].method == "point" and th.t[0] == 0
    never = phase.thresholds(RUNS, 0.999, n_boot=None).d_star[0]
    assert never == math.inf
    always = phase.thresholds(RUNS, 0.05, n_boot=None).d_star[0]
    assert always == 2


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
    assert th.set_index("t").d_star.to_dict() == pytest.approx({0: 4 * 2 ** (0.65 / 0.75), 8: 2})


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
