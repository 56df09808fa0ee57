"""Tests for the chapter-04 figures, the widget, and the cached sweeps of dofcourse.geometry."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dofcourse import geometry as G  # noqa: E402
from dofcourse import stats  # noqa: E402
from dofcourse.geometry import demo, sweeps  # noqa: E402


@pytest.mark.parametrize(
    "make",
    [
        demo.fig_width_2d,
        demo.fig_cap_and_plane,
        lambda: demo.fig_estimates(
            [("a", stats.mean_t([0.9, 1.1, 1.0]), 1.1, 1.1),
             ("b", stats.mean_t([1.8, 2.2]), 1.5, 2.0)], "t", "y"),
    ],
)  # fmt: skip
def test_figures_have_titles_and_labels(make):
    fig = make()
    assert fig.axes and all(ax.get_title() for ax in fig.axes)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    plt.close(fig)


def test_estimate_figure_draws_both_ends_of_a_closed_form_interval():
    fig = demo.fig_estimates([("l1", stats.mean_t([18.0, 19.0, 20.0]), 15.0, 21.0)], "t", "y")
    (bar,) = fig.axes[0].patches
    assert bar.get_y() == pytest.approx(15.0) and bar.get_height() == pytest.approx(6.0)
    plt.close(fig)


def test_well_spectrum_and_errors():
    lam = demo.well_spectrum(10, 3, 0.01)
    np.testing.assert_allclose(lam, [1, 1, 1] + [0.01] * 7)
    with pytest.raises(ValueError, match="n_stiff"):
        demo.well_spectrum(10, 11, 0.01)
    with pytest.raises(ValueError, match="flat"):
        demo.well_spectrum(10, 3, 0.0)


def test_well_threshold_reports_consistent_numbers():
    r = G.well_threshold(demo.well_spectrum(40, 4, 0.05), 1.0, 0.1, n=60, n_width=300)
    assert r["p"][0] == 0.0 and r["p"][-1] == 1.0
    assert 0 < r["threshold"] < 40 and r["width"] >= 0
    assert r["predicted"] == pytest.approx(40 - r["w"] ** 2)


def test_threshold_widget_draws_its_starting_figure_without_interaction():
    panel = demo.threshold_demo(D=30, n=20, n_width=100)
    left, right = panel.figure.axes
    assert left.get_title() and left.get_xlabel() and "epsilon" in left.get_ylabel()
    d, p = left.lines[0].get_data()
    assert p[0] == 0.0 and p[-1] == 1.0 and np.all(np.diff(p) >= 0), "a success curve 0 -> 1"
    predicted = left.lines[1].get_xdata()[0]
    r = G.well_threshold.uncached(demo.well_spectrum(30, 3, 10**-1.5), 1.0, 0.1, n=20, n_width=100)
    assert predicted == pytest.approx(r["predicted"]), "the dashed line is D - w^2"
    s, m = right.lines[0].get_data()
    assert np.all(np.diff(m) > 0), "more nonzeros need more measurements"
    plt.close("all")


def test_sweeps_are_tables_cached_per_point_with_seeds_of_their_own(monkeypatch):
    first = G.l1_sweep(20, [2], [4, 12], n=5, progress=False)
    assert list(first.columns) == ["s", "m", "successes", "n", "p"]
    assert first["p"].between(0, 1).all()
    calls = []
    real = sweeps.l1_recovery
    monkeypatch.setattr(sweeps, "l1_recovery", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = G.l1_sweep(20, [2], [4, 8, 12], n=5, progress=False)
    assert len(calls) == 1, "only the new point (m = 8) is computed"
    assert again.set_index("m").loc[[4, 12], "successes"].tolist() == first["successes"].tolist()
    orth = G.orthant_sweep(12, [2, 6, 10], n=30, progress=False)
    assert orth["p"].iloc[0] < 0.2 and orth["p"].iloc[-1] > 0.8
    assert sweeps.point_seed(0, 3, 4) != sweeps.point_seed(0, 4, 3)


def test_sweeps_refuse_bad_grids():
    with pytest.raises(ValueError, match=r"measurements\[0\]"):
        G.l1_sweep(20, [2], [30], n=5)
    with pytest.raises(ValueError, match="dims"):
        G.orthant_sweep(10, [], n=5)
    with pytest.raises(ValueError, match="seed"):
        G.orthant_sweep(10, [5], n=5, seed=-3)
