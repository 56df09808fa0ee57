"""dofcourse.phase.grid, .models and .figures: cached burn-in anchors from one run, the (t, d,
seed) grid on the engine's sweep, Conv-2's parameter count, and the chapter's figures."""

import copy

import matplotlib
import numpy as np
import pytest
import torch

from dofcourse import config, data, models, phase, subspace, train
from dofcourse.params import count
from dofcourse.phase import figures
from dofcourse.settings import TrainSettings

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def setup():
    ds = data.load("digits", device="cpu").subsample(200, sample_seed=0)
    torch.manual_seed(0)
    return models.mlp(ds.input_shape, ds.n_classes, hidden=(8,)), ds


BURN = TrainSettings(steps=1, lr=0.05, momentum=0.9, batch_size=64)
SUB = TrainSettings(steps=20, lr=0.05, optimizer="adam", batch_size=64)


def test_anchors_come_from_one_run_and_are_cached(setup):
    model, ds = setup
    anchors = phase.burn_in_anchors(model, ds, BURN, [0, 3, 7])
    assert sorted(anchors) == [0, 3, 7]
    ref = subspace.burn_in(model, ds, BURN, [0, 3, 7])
    for t in anchors:
        torch.testing.assert_close(anchors[t], ref[t])
    folder = config.cache_dir() / "dofcourse.phase.grid.burn_in_anchors"
    assert len(list(folder.glob("*.pt"))) == 1
    again = phase.burn_in_anchors(model, ds, BURN, [0, 3, 7])
    assert all(torch.equal(again[t], anchors[t]) for t in anchors)


def test_phase_grid_stacks_one_sweep_per_anchor(setup):
    model, ds = setup
    grid = phase.phase_grid(model, ds, SUB, [2, 16], [0, 1], burn_in=BURN, times=[5, 0],
                            eval_every=5, progress=False)  # fmt: skip
    assert len(grid) == 8 and sorted(grid.t.unique()) == [0, 5]
    assert {"d", "proj_seed", "best_train_acc", "train_acc", "loss", "train_acc_curve"} <= set(grid)
    assert (grid.best_train_acc >= grid.train_acc).all()
    anchors = phase.burn_in_anchors(model, ds, BURN, [0, 5])
    one = subspace.sweep(model, ds, SUB, [2, 16], [0, 1], anchor=anchors[5], eval_every=5,
                         progress=False)  # fmt: skip
    np.testing.assert_allclose(grid[grid.t == 5].train_acc.to_numpy(), one.train_acc.to_numpy())
    own = figures.anchor_accuracy(grid)
    _, acc = train.evaluate(copy.deepcopy(model), ds.x_train, ds.y_train)
    assert own[0] == pytest.approx(acc)
    with pytest.raises(TypeError, match="burn_in"):
        phase.phase_grid(model, ds, SUB, [2], [0], burn_in=None)


def test_conv2_small_has_the_papers_parameter_count():
    net = phase.conv2_small((1, 28, 28), 10)
    assert count(net) == 20_490
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert count(phase.conv2_small((1, 8, 8), 10)) == 6_090
    with pytest.raises(ValueError, match="C, H, W"):
        phase.conv2_small((28, 28), 10)


def test_figures_draw_titled_axes(setup):
    model, ds = setup
    grid = phase.phase_grid(model, ds, SUB, [2, 16, 64], [0, 1, 2], burn_in=BURN, times=[0, 5],
                            eval_every=5, progress=False)  # fmt: skip
    at0 = grid[grid.t == 0]
    th = phase.thresholds(grid, [0.3, 0.5], n_boot=20)
    made = [
        figures.fig_transition(at0, 0.3, "one"),
        figures.fig_curves(at0, [0.3, 0.5], th[th.t == 0], "curves"),
        figures.fig_phase_diagrams(grid, [0, 5], np.linspace(0.1, 0.9, 9), 0.8, count(model)),
        figures.fig_burn_in(grid, np.linspace(0.1, 0.9, 9), th, [0.3, 0.5], count(model)),
    ]
    for fig in made:
        for ax in fig.axes:
            if ax.get_label() == "<colorbar>":
                continue
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), ax
    panel = figures.explore_transition(grid, eps=0.3)
    assert panel.figure.axes[0].get_title().startswith("Burn-in t = 0")
