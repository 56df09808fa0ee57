"""Drawing slices, and the explorer widget of chapter 01.

:func:`plot_slice_1d` / :func:`plot_slice_2d` draw what ``landscape.slices`` computes.
:func:`explore` trains a small ensemble of shallow quadratic nets for a width and a teacher rank
and draws how its end points split, next to a 2-D slice around the worst one; :func:`explorer` is
the widget around it, on the course's ``plotting.explore`` (its first figure is drawn at once, so
an executed notebook and a static page show it). Taught in chapter 01.
"""

from __future__ import annotations

import textwrap

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from torch import Tensor

from dofcourse import checks, plotting
from dofcourse import quadratic as q
from dofcourse.landscape.slices import hessian_directions, slice_2d
from dofcourse.params import flatten
from dofcourse.settings import TrainSettings

LABEL_COLOURS = {q.SUCCESS: "#009E73", q.SLOW: "#56B4E9", q.SPURIOUS: "#D55E00",
                 q.SADDLE: "#CC79A7", q.CAPACITY: "#999999"}  # fmt: skip


def plot_slice_1d(ax: Axes, alphas: Tensor, values: Tensor, label: str | None = None) -> None:
    """A 1-D slice on a log scale (losses near a minimum span many decades). Chapter 01."""
    ax.semilogy(np.asarray(alphas), np.asarray(values.clamp_min(1e-16)), label=label)


def plot_slice_2d(ax: Axes, alphas: Tensor, betas: Tensor, values: Tensor) -> None:
    """Filled contours of a 2-D slice with logarithmic levels, the centre marked by a star.
    Chapter 01."""
    z = np.asarray(values.clamp_min(1e-8))
    levels = np.logspace(np.log10(z.min()), np.log10(z.max()), 16)
    cs = ax.contourf(
        np.asarray(alphas), np.asarray(betas), z.T, levels=levels, norm=LogNorm(), cmap="viridis"
    )
    ax.figure.colorbar(cs, ax=ax, label="loss", format="%.2g", ticks=levels[::3])
    ax.plot([0], [0], marker="*", color="white", markersize=14, markeredgecolor="black")


def explore(
    m: int,
    rank: int,
    *,
    d: int = 5,
    n: int = 50,
    n_seeds: int = 16,
    steps: int = 1500,
    lr: float = 0.02,
    init_seed: int = 1,
    teacher_seed: int = 0,
) -> tuple[Figure, q.EndPoints]:
    """Train ``n_seeds`` shallow nets of width m on a rank-``rank`` teacher in R^d
    (``quadratic.fit``: runs still descending get two more rounds) and draw them. Chapter 01.

    Left: how the end points split. Right: a 2-D slice around the worst end point along its two
    flattest non-symmetry Hessian directions. Returns the figure and the classified end points.
    """
    m, d = checks.integer(m, "m", min=1), checks.integer(d, "d", min=1)
    rank = checks.integer(rank, "rank", min=1, max=d)
    teacher_seed = checks.integer(teacher_seed, "teacher_seed", min=0, max=checks.MAX_SEED - 1)
    prob = q.planted_problem(d, n, rank, teacher_seed=teacher_seed, input_seed=teacher_seed + 1)
    start = q.init_shallow(n_seeds, m, d, init_seed=init_seed)
    settings = TrainSettings(steps=steps, lr=lr, momentum=0.9)
    fit = q.fit(q.shallow_forward, start, prob, settings, symmetry=q.symmetry_directions)
    ends = q.mark_capacity(fit.ends) if m < rank else fit.ends
    worst = int(torch.argmax(ends.loss))
    one = q.select(fit.params, worst)
    loss_fn = q.flat_loss(q.shallow_forward, one, prob.x, prob.y)
    _, h = q.loss_grad_hessian(q.shallow_forward, q.stack([one]), prob)[1:]
    _, dirs = hessian_directions(h[0], 2, exclude=q.symmetry_directions(one))
    grid = torch.linspace(-0.6, 0.6, 31, dtype=q.DTYPE)
    values = slice_2d(loss_fn, flatten(one), dirs[:, 0], dirs[:, 1], grid, grid)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    counts = ends.counts()
    ax1.bar(range(len(counts)), [c / n_seeds for c in counts.values()],
            color=[LABEL_COLOURS[lab] for lab in counts])  # fmt: skip
    ax1.set_xticks(range(len(counts)), [textwrap.fill(lab, 11) for lab in counts], fontsize=10)
    ax1.set_ylim(0, 1)
    plotting.label(ax1, f"width m={m}, teacher rank {rank}, d={d}", "end point",
                   "fraction of seeds")  # fmt: skip
    plot_slice_2d(ax2, grid, grid, values)
    plotting.label(ax2, f"worst end point (relative loss {float(ends.rel_loss[worst]):.2g})",
                   "flattest Hessian direction", "second flattest")  # fmt: skip
    fig.tight_layout()
    return fig, ends


def explorer(
    d: int = 5, n: int = 50, name: str | None = None, **kwargs: int | float
) -> ipywidgets.VBox:
    """The widget around :func:`explore` (``plotting.explore``): sliders for the width m and the
    teacher's rank; releasing one trains a small ensemble (a few seconds on a CPU) and redraws.
    It starts at m = rank = d, drawn at once (and saved as ``name``); ``.ends`` holds the
    classified end points of that first draw. Chapter 01."""
    latest: list[q.EndPoints] = []

    def draw(m: int, rank: int) -> Figure:
        fig, ends = explore(m, min(rank, d), d=d, n=n, **kwargs)
        latest[:] = [ends]
        return fig

    panel = plotting.explore(
        draw,
        name=name,
        m=ipywidgets.IntSlider(value=d, min=1, max=2 * d + 2, description="width m"),
        rank=ipywidgets.IntSlider(value=d, min=1, max=d, description="teacher rank"),
    )
    panel.ends = latest[0]
    return panel
