"""Tests for the chapter-04 figures and widget builders in dofcourse.geometry.demo."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dofcourse.geometry import demo  # noqa: E402


@pytest.mark.parametrize(
    "make",
    [
        demo.fig_width_2d,
        demo.fig_cap_and_plane,
        lambda: demo.fig_estimates([("a", 1.0, 0.1, 1.1), ("b", 2.0, 0.2, 2.0)], "t", "y"),
    ],
)
def test_figures_have_titles_and_labels(make):
    fig = make()
    assert fig.axes and all(ax.get_title() for ax in fig.axes)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    plt.close(fig)


def test_well_spectrum_and_errors():
    lam = demo.well_spectrum(10, 3, 0.01)
    np.testing.assert_allclose(lam, [1, 1, 1] + [0.01] * 7)
    with pytest.raises(ValueError, match="n_stiff"):
        demo.well_spectrum(10, 11, 0.01)
    with pytest.raises(ValueError, match="positive"):
        demo.well_spectrum(10, 3, 0.0)


def test_well_threshold_reports_consistent_numbers():
    r = demo.well_threshold(demo.well_spectrum(40, 4, 0.05), 1.0, 0.1, n=60, n_width=300)
    assert r["p"][0] == 0.0 and r["p"][-1] == 1.0
    assert 0 < r["threshold"] < 40 and r["width"] >= 0
    assert r["predicted"] == pytest.approx(40 - r["w"] ** 2)


def test_threshold_demo_runs_headless():
    demo.threshold_demo(D=30, n=20, n_width=100)
    plt.close("all")
