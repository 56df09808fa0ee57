"""The figures of chapter 03, drawn from its tables of subspace runs.

Each ``fig_*`` function takes results (accuracies per seed and dimension, intrinsic dimensions,
timings) and returns a matplotlib Figure with a title and labelled axes; the chapter saves and
shows it. Accuracy tables have shape (n_seeds, n_dims), as ``subspace.accuracy_table`` gives
them; intrinsic dimensions are ``stats.Estimate`` values (``subspace.intrinsic_dimension``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dofcourse import plotting
from dofcourse.stats import Estimate

BLUE, GREEN, VERMILION = "#0072B2", "#009E73", "#D55E00"


def _full_lines(ax, full_acc: float, full_label: str = "full model") -> None:
    ax.axhline(full_acc, color="k", ls="--", lw=1.5, label=full_label)
    ax.axhline(0.9 * full_acc, color="gray", ls=":", lw=1.5, label="90 % of full")


def fig_plane(grid: np.ndarray, surface: np.ndarray, path: np.ndarray) -> Figure:
    """The training loss on a random plane through theta_0: a surface (left) and contours with
    the path of training on z (right). ``grid`` (n,) the coordinates, ``surface`` (n, n) the
    loss (``subspace.loss_on_plane``), ``path`` (T, 2) z along training (chapter 03, d = 2)."""
    fig = plt.figure(figsize=(16, 6.5))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    A, B = np.meshgrid(grid, grid)
    ax.plot_surface(A, B, surface, cmap="viridis", alpha=0.9, linewidth=0)
    ax.set_zlabel("training loss", labelpad=12)
    plotting.label(ax, "Loss on a random plane through θ₀", "$z_1$", "$z_2$")
    ax2 = fig.add_subplot(1, 2, 2)
    cs = ax2.contourf(A, B, surface, levels=25, cmap="viridis")
    fig.colorbar(cs, ax=ax2, label="training loss")
    ax2.plot(path[:, 0], path[:, 1], color=VERMILION, marker="o", markersize=3, label="Adam on z")
    ax2.scatter([0], [0], color="w", edgecolor="k", s=90, zorder=3, label=r"$\theta_0$ (z = 0)")
    ax2.legend(loc="upper right")
    ax2.set_aspect("equal")
    plotting.label(ax2, "Training slides along the plane (d = 2)", "$z_1$", "$z_2$")
    return fig


def fig_accuracy_vs_d(
    dims: Sequence[int],
    acc: Mapping[str, np.ndarray],
    full: Mapping[str, float],
    dint: Mapping[str, Estimate],
    D_of: Mapping[str, int],
    dataset: str,
) -> Figure:
    """Test accuracy against d for each network (one panel each, mean ± s.e. over seeds), with
    the full model, 90 % of it and d_int90 with its interval (chapter 03, section 2)."""
    fig, axes = plt.subplots(1, len(acc), figsize=(15, 5.5), sharey=True)
    for ax, k, color in zip(np.atleast_1d(axes), acc, [BLUE, GREEN], strict=False):
        plotting.mean_band(ax, dims, acc[k], label="subspace (Fastfood), mean ± s.e.", color=color)
        _full_lines(ax, full[k], f"full model ({full[k]:.3f})")
        r = dint[k]
        xerr = [[r.value - r.lo], [min(r.hi, dims[-1]) - r.value]]
        ax.errorbar([r.value], [0.9 * full[k]], xerr=xerr, fmt="D", color=VERMILION, ms=9,
                    capsize=8, elinewidth=3, zorder=4,
                    label=f"$d_{{int90}}$ ≈ {r.value:.0f} [{r.lo:.0f}, {r.hi:.0f}]")  # fmt: skip
        ax.set_xscale("log")
        ax.legend(loc="lower right", fontsize=11)
        plotting.label(ax, f"{k} on {dataset} (D = {D_of[k]:,})", "subspace dimension d",
                       "test accuracy")  # fmt: skip
    return fig


def fig_architectures(
    fraction: Mapping[tuple[str, str], np.ndarray], d_of: Mapping[str, int]
) -> Figure:
    """Bars: the fraction of its full accuracy each architecture reaches at a fixed d on each
    dataset; dots: the seeds (chapter 03, "which architecture needs fewer directions").

    ``fraction`` maps (dataset, architecture) to the fractions of the seeds; ``d_of`` gives the
    d used on each dataset, in the order of the bars."""
    archs = list(dict.fromkeys(arch for _, arch in fraction))
    fig, ax = plt.subplots(figsize=(10, 5))
    for j, arch in enumerate(archs):
        x = np.arange(len(d_of)) + (j - 0.5) * 0.35
        vals = [fraction[name, arch] for name in d_of]
        ax.bar(x, [v.mean() for v in vals], 0.35, label=arch, color=[BLUE, GREEN][j])
        for xi, v in zip(x, vals, strict=True):
            ax.plot([xi] * len(v), v, "k.", ms=10)
    ax.axhline(0.9, color="gray", ls=":", lw=1.5, label="90 % of full")
    ax.set_xticks(np.arange(len(d_of)), [f"{n}\nd = {d}" for n, d in d_of.items()])
    ax.set_ylim(0.6, 1.02)
    ax.legend(loc="upper left", ncols=3)
    plotting.label(ax, "Fraction of full accuracy in a random subspace (dots: seeds)", "dataset",
                   "subspace acc. / full acc.")  # fmt: skip
    return fig


def fig_projection_kinds(
    dims: Sequence[int],
    acc_kind: Mapping[str, np.ndarray],
    dint_kind: Mapping[str, Estimate],
    full_acc: float,
) -> Figure:
    """Test accuracy against d for each kind of projection, on one network (chapter 03,
    section 3: three projections, one curve)."""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for k, a in acc_kind.items():
        plotting.mean_band(ax, dims, a, label=f"{k}: $d_{{int90}}$ ≈ {dint_kind[k].value:.0f}")
    _full_lines(ax, full_acc)
    ax.set_xscale("log")
    ax.legend(loc="lower right")
    plotting.label(ax, "Three projections, one curve (MLP)", "subspace dimension d",
                   "test accuracy")  # fmt: skip
    return fig


def fig_projection_cost(
    dims: Sequence[int], ratio: Mapping[str, np.ndarray], mem: Mapping[str, np.ndarray], D: int
) -> Figure:
    """Left: a subspace step's time over an ordinary step's, against d; right: the MiB each
    projection stores (chapter 03, section 3). Both on log scales, with a marker per kind: the
    dense ratio reaches 40 in full mode, where sparse and Fastfood stay near 1.5 and would hide
    each other on a linear axis."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 5))
    for k, marker in zip(ratio, ("o", "s", "^", "D"), strict=False):
        a1.plot(dims, ratio[k], marker=marker, label=k)
        a2.plot(dims, mem[k], marker=marker, label=k)
    a1.axhline(1, color="k", ls="--", lw=1.5, label="ordinary training")
    for a in (a1, a2):
        a.set_xscale("log")
        a.set_yscale("log")
        a.legend(loc="upper left")
    plotting.label(a1, f"Time per step (MLP, D = {D:,})", "d", "subspace step / ordinary step")
    plotting.label(a2, "Memory stored by P", "d", "MiB")
    return fig


def fig_seed_spread(spread: Mapping[int, np.ndarray], full_acc: float) -> Figure:
    """The test accuracy of every random subspace at a few d (jittered dots) with mean ± std
    (chapter 03, section 4: what is fixed, what is random)."""
    fig, ax = plt.subplots(figsize=(10, 5))
    for i, accs in enumerate(spread.values()):
        jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(accs))
        ax.scatter(i + jitter, accs, s=50, alpha=0.8)
        ax.errorbar(i + 0.3, accs.mean(), yerr=accs.std(ddof=1), fmt="o", color="k", capsize=6,
                    label="mean ± std" if i == 0 else None)  # fmt: skip
    ax.axhline(0.9 * full_acc, color="gray", ls=":", lw=1.5, label="90 % of full")
    ax.set_xticks(range(len(spread)), [f"d = {dd}" for dd in spread])
    ax.legend(loc="center right")
    n = len(next(iter(spread.values())))
    plotting.label(ax, f"{n} random subspaces per d (MLP, θ₀ fixed)", "subspace dimension",
                   "test accuracy")  # fmt: skip
    return fig


def fig_shuffled_labels(
    dims: Sequence[int],
    acc: Mapping[str, np.ndarray],
    full_train: Mapping[str, float],
    n_images: int,
) -> Figure:
    """Training accuracy against d with true and with shuffled labels, each with 90 % of its
    full model's (chapter 03, section 5: memorising needs more directions)."""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for k, color in zip(acc, [BLUE, VERMILION], strict=True):
        plotting.mean_band(ax, dims, acc[k], label=f"{k} labels", color=color)
        ax.axhline(0.9 * full_train[k], ls=":", lw=2, color=color,
                   label=f"90 % of full ({k})")  # fmt: skip
    ax.set_xscale("log")
    ax.legend(loc="lower right")
    plotting.label(ax, f"Memorising needs more directions ({n_images} images)",
                   "subspace dimension d", "training accuracy")  # fmt: skip
    return fig
