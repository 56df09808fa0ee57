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
}


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
    for method, group in table.groupby("method"):
        group = group.sort_values("d")
        color = COLORS.get(method)
        ax.errorbar(
            group.d,
            group.p,
            yerr=[group.p - group.lo, group.hi - group.p],
            marker="o",
            capsize=3,
            color=color,
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


def fig_early(
    lengths: Sequence[int],
    d_star: Mapping[float, Sequence[float]],
    overlap: Sequence[float],
    k: int,
    random_d: float,
) -> Figure:
    """Left: the lottery subspace's d* against the length of the recorded trajectory, per target,
    with the random subspace's d*. Right: overlap of the prefix's top-k directions with the whole
    run's."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 5.5))
    for i, (eps, values) in enumerate(d_star.items()):
        values = np.asarray(values, dtype=float)
        ok = np.isfinite(values)
        a1.plot(np.asarray(lengths)[ok], values[ok], "o-", color=f"C{i}", label=f"ε = {eps:g}")
    first = next(iter(d_star))
    a1.axhline(random_d, color=COLORS["random"], ls="--", label=f"random subspace, ε = {first:g}")
    a1.set_yscale("log", base=2)
    a1.legend(loc="upper right", fontsize=11)
    plotting.label(
        a1,
        "Lottery subspaces from early stretches",
        "steps of training recorded",
        "d* of the lottery subspace",
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
        "steps of training recorded",
        "energy fraction in the whole run's",
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
