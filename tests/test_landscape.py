"""Landscape slices, directions, and the explorer figure and widget."""

import sys

import matplotlib
import pytest
import torch

from dofcourse import landscape as ls
from dofcourse import quadratic as q
from dofcourse.params import Layout, flatten

matplotlib.use("Agg")


def quadratic_bowl(h):
    return lambda theta: 0.5 * theta @ h @ theta


def test_slice_1d_along_an_eigenvector_is_the_parabola():
    h = torch.diag(torch.tensor([3.0, -1.0, 0.5], dtype=torch.float64))
    alphas = torch.linspace(-1, 1, 5, dtype=torch.float64)
    u = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    values = ls.slice_1d(quadratic_bowl(h), torch.zeros(3, dtype=torch.float64), u, alphas)
    torch.testing.assert_close(values, -0.5 * alphas**2)


def test_slice_2d_matches_a_loop_and_is_indexed_alpha_then_beta():
    prob = q.planted_problem(3, 10)
    net = q.select(q.init_shallow(1, 2, 3, init_seed=1), 0)
    f = q.flat_loss(q.shallow_forward, net, prob.x, prob.y)
    theta = flatten(net)
    u = ls.random_direction(net, direction_seed=1)
    w = ls.random_direction(net, direction_seed=2)
    a = torch.linspace(-0.5, 0.5, 4, dtype=q.DTYPE)
    b = torch.linspace(-0.2, 0.3, 3, dtype=q.DTYPE)
    grid = ls.slice_2d(f, theta, u, w, a, b)
    assert grid.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            torch.testing.assert_close(grid[i, j], f(theta + a[i] * u + b[j] * w))
    torch.testing.assert_close(
        ls.slice_1d(f, theta, u, a), ls.slice_2d(f, theta, u, w, a, b[:1] * 0)[:, 0]
    )


def test_filter_normalised_direction_matches_each_neuron_norm():
    net = q.select(q.init_shallow(1, 3, 4, init_seed=0), 0)
    u = Layout.of_tensors(net).unflatten_tuple(ls.random_direction(net, direction_seed=3))
    torch.testing.assert_close(u[0].norm(dim=1), net[0].norm(dim=1))
    torch.testing.assert_close(u[1].abs(), net[1].abs())
    raw = ls.random_direction(net, direction_seed=3, filter_normalize=False)
    assert not torch.allclose(raw, ls.random_direction(net, direction_seed=3))


def test_hessian_directions_smallest_largest_and_excluded():
    h = torch.diag(torch.tensor([-2.0, 0.0, 1.0, 5.0], dtype=torch.float64))
    vals, vecs = ls.hessian_directions(h, 2, which="smallest")
    torch.testing.assert_close(vals, torch.tensor([-2.0, 0.0], dtype=torch.float64))
    vals, _ = ls.hessian_directions(h, 1, which="largest")
    assert float(vals[0]) == 5.0
    exclude = torch.eye(4, dtype=torch.float64)[:, :1]  # remove the negative direction
    vals, vecs = ls.hessian_directions(h, 1, exclude=exclude)
    assert abs(float(vals[0])) < 1e-12 and abs(float(vecs[0, 0])) < 1e-12
    torch.testing.assert_close(h @ vecs[:, 0], vals[0] * vecs[:, 0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: ls.hessian_directions(torch.eye(3), 4),
        lambda: ls.hessian_directions(torch.eye(3), 1, which="middle"),
        lambda: ls.slice_1d(lambda t: t.sum(), torch.zeros(3), torch.zeros(2), torch.zeros(4)),
        lambda: ls.explore(0, 1),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_explore_draws_a_figure_and_the_widget_redraws_it(monkeypatch):
    import matplotlib.pyplot as plt

    fig, ends = ls.explore(3, 2, d=3, n=12, n_seeds=3, steps=30)
    assert len(ends.labels) == 3 and len(fig.axes) >= 2
    assert fig.axes[0].get_title() == "width m=3, teacher rank 2, d=3"
    assert sum(p.get_height() for p in fig.axes[0].patches) == pytest.approx(1.0)
    plt.close("all")
    drawn = []
    real = ls.explore

    def spy(m, rank, **kw):
        fig, ends = real(m, rank, **kw)
        drawn.append(fig.axes[0].get_title())
        return fig, ends

    module = sys.modules["dofcourse.landscape.explorer"]  # the package's `explorer` is the function
    monkeypatch.setattr(module, "explore", spy)
    panel = ls.explorer(d=3, n=12, n_seeds=2, steps=10)
    assert drawn == ["width m=3, teacher rank 3, d=3"], "the first figure is drawn at once"
    assert len(panel.ends.labels) == 2, "the first draw's end points come with the panel"
    m_slider, rank_slider = panel.children[1:3]
    assert (m_slider.description, rank_slider.description) == ("width m", "teacher rank")
    m_slider.value = 2  # releasing a slider trains and redraws
    assert drawn[-1] == "width m=2, teacher rank 3, d=3"
    assert plt.get_fignums() == []  # the widget closes what it drew
