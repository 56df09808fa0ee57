"""The figures of chapter 06 and its widget: spectra, methods at matched d, early directions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

from dofcourse import phase, plotting

COLORS = {
    "random": "#0072B2",
    "burn-in": "#009E73",
    "lottery subspace": "#D55E00",
    "lottery ticket": "#CC79A7",
    "lottery ticket (SGD)": "#E69F00",
}
MARKERS = {"random": "o", "burn-in": "s", "lottery subspace": "D", "lottery ticket": "^",
           "lottery ticket (SGD)": "v"}  # fmt: skip


def fig_spectra(singular_values: np.ndarray, hessian_top: np.ndarray, D: int) -> Figure:
    """Left: the share of the trajectory's motion along each of its singular directions, and the
    cumulative share. Right: the top Hessian eigenvalues at the trajectory's end (chapter 02)."""
    s2 = np.asarray(singular_values, dtype=float) ** 2
    share = s2 / s2.sum()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 5.5))
    i = np.arange(1, len(share) + 1)
    a1.bar(i, share, color="#D55E00", label="share of the motion, σ_i² / Σσ²")
    a1.plot(i, np.cumsum(share), color="k", marker=".", label="cumulative share")
    a1.set_xscale("log")
    a1.set_ylim(0, 1.02)
    a1.legend(loc="center right")
    plotting.label(
        a1,
        f"Training moves in few directions ({len(share)} recorded)",
        "singular direction i of the updates",
        "share of Σ σ²",
    )
    lam = np.asarray(hessian_top, dtype=float)
    a2.semilogy(np.arange(1, len(lam) + 1), np.clip(lam, 1e-6, None), "s-", color="#0072B2")
    plotting.label(
        a2,
        f"Hessian at the trajectory's end: top {len(lam)} of D = {D:,}",
        "eigenvalue index i",
        "eigenvalue λ_i",
    )
    return fig


def _methods_panel(ax, runs: pd.DataFrame, eps: float) -> None:
    table = phase.success_table(runs, eps, by=("method",))
    th = phase.thresholds(runs, eps, by=("method",), n_boot=None).set_index("method").d_star
    groups = list(table.groupby("method", sort=False))
    for i, (method, group) in enumerate(groups):
        group = group.sort_values("d")
        color = COLORS.get(method)
        # nudged sideways (a few percent of an octave each) so that methods with the same P at
        # the same d (all 0 or all 1) stay visible side by side, each with its own marker
        nudge = 2 ** (0.09 * (i - (len(groups) - 1) / 2))
        ax.errorbar(
            group.d * nudge,
            group.p,
            yerr=[group.p - group.lo, group.hi - group.p],
            marker=MARKERS.get(method, "o"),
            ms=7,
            ls=":",  # thin and dotted: P is measured at the markers only, not in between
            lw=1.2,
            capsize=3,
            color=color,
            alpha=0.9,
            label=f"{method}: d* ≈ {th[method]:.3g}",
        )
        if np.isfinite(th[method]):
            ax.axvline(th[method], color=color, ls="--", lw=1.5)
    ax.axhline(1 - phase.DELTA, color="gray", ls=":", lw=1.2)
    ax.set_xscale("log", base=2)
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=11)
    plotting.label(ax, f"train accuracy ≥ {eps:g}", "trainable dimensions d", "P(success)")


def fig_methods(runs: pd.DataFrame, eps: float | Sequence[float], D: int) -> Figure:
    """P(d) of the methods (column ``method``) at each target, Wilson intervals, thresholds d*
    dashed and listed."""
    targets = [eps] if np.isscalar(eps) else list(eps)
    fig, axes = plt.subplots(1, len(targets), figsize=(8 * len(targets), 6), sharey=True)
    for ax, e in zip(np.atleast_1d(axes), targets, strict=True):
        _methods_panel(ax, runs, e)
    fig.suptitle(f"Ways to choose d trainable directions (D = {D:,})", y=1.02)
    return fig


def _median_band(ax, runs: pd.DataFrame, label: str, color, marker: str = "o") -> None:
    """Median best training accuracy against d, with the min-max band over seeds."""
    g = runs.groupby("d").best_train_acc
    med, lo, hi = g.median(), g.min(), g.max()
    ax.fill_between(med.index, lo, hi, color=color, alpha=0.2, lw=0)
    ax.plot(med.index, med, marker=marker, color=color, label=label)


def fig_early(
    lengths: Sequence[int],
    end_acc: Sequence[float],
    lottery_acc: Mapping[int, Sequence[float]],
    random_acc: Mapping[int, float],
    overlap: Sequence[float],
    k: int,
) -> Figure:
    """Left: for lottery subspaces built from the first L steps, the median best training
    accuracy at a few d (``lottery_acc``: {d: one value per L, NaN where L / every < d}) against
    L, beside the accuracy of theta_L itself (``end_acc``) and random subspaces through theta_0
    (``random_acc``: {d: median}). Right: overlap of the prefix's top-k directions with the whole
    run's."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 6))
    x = np.asarray(lengths, dtype=float)
    a1.plot(x, end_acc, "s-", color="k", lw=2.5, ms=9, label="θ_L: where the L steps got")
    shades = plt.get_cmap("Oranges")(np.linspace(0.45, 0.95, len(lottery_acc)))
    for color, (d, values) in zip(shades, lottery_acc.items(), strict=True):
        a1.plot(x, values, "o-", color=color, label=f"lottery subspace of the L steps, d = {d}")
    for i, (d, acc) in enumerate(random_acc.items()):
        a1.axhline(acc, color=COLORS["random"], ls=(0, (4, 2 + 2 * i)), lw=1.8,
                   label=f"random subspace at θ_0, d = {d}")  # fmt: skip
    shown = np.r_[end_acc, *[np.asarray(v, dtype=float) for v in lottery_acc.values()],
                  list(random_acc.values())]  # fmt: skip
    a1.set_ylim(np.nanmin(shown) - 0.02, 1.005)
    a1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=10)
    plotting.label(
        a1,
        "Lottery subspaces hold what their stretch reached",
        "steps of training recorded, L",
        "best training accuracy (median)",
    )
    a2.plot(lengths, overlap, "s-", color="k")
    a2.set_ylim(0, 1.02)
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(list(lengths)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
    plotting.label(
        a2,
        f"Top-{k} directions: early vs whole run",
        "steps of training recorded, L",
        "energy fraction in the whole run's",
    )
    return fig


def fig_displacement(runs: Mapping[str, pd.DataFrame], end_acc: float, D: int) -> Figure:
    """Median best training accuracy against d (min-max band over seeds) for each table of
    ``runs`` (name: runs), with the accuracy of the trajectory's end point."""
    fig, ax = plt.subplots(figsize=(10, 6))
    colors = [COLORS["random"], COLORS["lottery subspace"], "#7B3294", "#009E73"]
    for (name, table), color, marker in zip(runs.items(), colors, "osD^", strict=False):
        _median_band(ax, table, name, color, marker)
    ax.axhline(
        end_acc, color="k", ls=":", lw=1.5, label=f"θ_T, the trajectory's end ({end_acc:.3f})"
    )
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=11)
    plotting.label(
        ax,
        f"Is the lottery subspace just the displacement? (D = {D:,})",
        "trainable dimensions d",
        "best training accuracy (median, min–max)",
    )
    return fig


def fig_overlap(
    ks: Sequence[int], lottery: Sequence[float], random: Sequence[float], baseline: Sequence[float]
) -> Figure:
    """Energy fraction of the top-k trajectory directions (and of random k-subspaces) inside the
    top-k Hessian eigenspace, against k, with the random expectation k / D."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.plot(ks, lottery, "o-", color=COLORS["lottery subspace"], label="lottery subspace (top k)")
    ax.plot(ks, random, "s-", color=COLORS["random"], label="random subspace (measured)")
    ax.plot(ks, baseline, "k--", label="random expectation k / D")
    ax.set_yscale("log")
    ax.legend(loc="lower right")
    plotting.label(
        ax, "Overlap with the top-k Hessian eigenspace", "k", "energy fraction inside it"
    )
    return fig


def explore_lengths(
    runs: Mapping[int, pd.DataFrame],
    random_runs: pd.DataFrame,
    D: int,
    eps: float = 0.95,
    start: int | None = None,
    name: str | None = None,
):
    """Widget: choose how many steps of training the lottery subspace is built from and the
    target; P(d) of that lottery subspace redraws beside the random subspace's."""
    lengths = sorted(runs)

    def draw(length: int, eps: float) -> Figure:
        table = pd.concat(
            [runs[length].assign(method="lottery subspace"), random_runs.assign(method="random")]
        )
        fig = fig_methods(table, eps, D)
        fig.axes[0].set_title(f"Lottery subspace from the first {length} steps, ε = {eps:.3f}")
        return fig

    return plotting.explore(
        draw,
        name=name,
        length=ipywidgets.SelectionSlider(
            options=lengths, value=start or lengths[0], description="steps"
        ),
        eps=ipywidgets.FloatSlider(value=eps, min=0.5, max=0.995, step=0.005, description="ε"),
    )
