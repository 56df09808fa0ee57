"""dofcourse.dynamics.figures (chapter 10): every figure is drawn, titled and labelled."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from dofcourse import dynamics as dyn
from dofcourse.dynamics import figures


def _runs():
    rng = np.random.default_rng(0)
    out = {}
    for lr in (0.1, 0.5):
        out[lr] = {"step": np.arange(11), "loss": 2 * np.exp(-rng.random((2, 11)).cumsum(1)),
                   "checkpoints": np.array([0, 5, 10]), "top": 1 + rng.random((2, 3, 2)),
                   "overlap": np.c_[np.full(2, np.nan), rng.random((2, 2))]}  # fmt: skip
    return out


def _table(x, values):
    rows = [{"arch": a, "width": v if x == "width" else 8, "depth": v if x == "depth" else 2,
             "init_seed": s, "min_cos_init": -0.1 * v / max(values), "steps": float(10 * v),
             "cosines_init": torch.rand(6) * 2 - 1}
            for a in dyn.ARCHS for v in values for s in (0, 1)]  # fmt: skip
    rows[0]["steps"] = float("inf")  # a run that never reached the target is left out
    return pd.DataFrame(rows)


def _labelled(fig):
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), ax
    plt.close(fig)


def test_every_figure_is_titled_and_labelled():
    runs = _runs()
    eigs = torch.tensor([0.5, 2.0], dtype=torch.float64)
    _labelled(figures.fig_quadratic(eigs, {0.5: dyn.quadratic_gd(eigs, 0.5, 5)}))
    _labelled(figures.fig_sharpness(runs))
    _labelled(figures.fig_one_rate(runs, 0.5))
    per_seed = [{"n_eff": np.array([5.0, 3.0]), "n_adj": np.array([2.0, 1.0])}] * 2
    _labelled(figures.fig_counts([0, 10], {0.1: per_seed, 0.5: per_seed}, 0.01, 0.01))
    by_width, by_depth = _table("width", [4, 8]), _table("depth", [2, 4])
    _labelled(figures.fig_confusion(by_width, by_depth))
    _labelled(figures.fig_cosines(by_width, "width"))
    _labelled(figures.fig_depth_inits({"PyTorch's default": by_depth, "He": by_depth}))


def test_depth_figure_shows_every_curve_on_one_scale():
    small, large = _table("depth", [2, 4]), _table("depth", [2, 8])
    large["min_cos_init"] *= 5  # one initialisation far more confused than the other
    fig = figures.fig_depth_inits({"a": small, "b": large})
    assert len({ax.get_ylim() for ax in fig.axes}) == 1
    for ax in fig.axes:
        assert len(ax.get_lines()) == 2  # both architectures
        for line in ax.get_lines():
            assert np.nanmax(line.get_ydata()) <= ax.get_ylim()[1]
    plt.close(fig)
