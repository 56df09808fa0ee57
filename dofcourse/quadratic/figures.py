"""The figures of chapter 01, drawn from its sweeps, runs and loss slices.

Each ``fig_*`` function takes results (counts of end points per width, sign counts, loss curves,
loss slices) and returns a matplotlib Figure with a title and labelled axes; the chapter saves
and shows it. The widget (``landscape.explorer``) and its figure (``landscape.explore``) live in
``dofcourse.landscape``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from torch import Tensor

from dofcourse import plotting, stats
from dofcourse.landscape import plot_slice_1d, plot_slice_2d
from dofcourse.quadratic.endpoints import SPURIOUS, SUCCESS
from dofcourse.quadratic.teachers import Problem

BLUE, GREEN, VERMILION = "#0072B2", "#009E73", "#D55E00"


def fig_width_sweep(
    widths: Sequence[int], spurious: np.ndarray, best: np.ndarray, n_seeds: int, d: int, n: int
) -> Figure:
    """The fraction of random starts that end in a spurious minimum and that reach the best loss
    possible at their width, each with its 95 % Wilson band, against the width m; ``spurious``
    and ``best`` (len(widths),) count the runs out of ``n_seeds`` (chapter 01, section 2)."""
    sp_lo, sp_hi = stats.wilson_bounds(spurious, n_seeds)
    be_lo, be_hi = stats.wilson_bounds(best, n_seeds)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    plotting.band(ax, widths, spurious / n_seeds, sp_lo, sp_hi, color=VERMILION,
                  label="spurious minimum (95% Wilson)")  # fmt: skip
    plotting.band(ax, widths, best / n_seeds, be_lo, be_hi, color=GREEN,
                  label="best loss possible at this width")  # fmt: skip
    ax.axvspan(0, d - 0.5, color="grey", alpha=0.15, label="$m<d$: zero loss impossible")
    ax.axvline(2 * d, color="black", ls=":", lw=1.5)
    ax.text(2 * d - 0.1, 0.3, "$m=2d=\\sqrt{2n}$", fontsize=13, ha="right")
    ax.set_xlim(0.5, max(widths) + 0.5)
    ax.set_xticks(widths)
    ax.set_ylim(-0.03, 1.03)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=11)
    plotting.label(ax, f"Wider nets stop getting stuck (d={d}, n={n}, {n_seeds} seeds)",
                   "hidden units m", "fraction of random starts")  # fmt: skip
    return fig


def fig_signs(
    rows: Sequence[tuple[int, int, int, str, bool]], need_pos: int, need_neg: int, d: int
) -> Figure:
    """The sign counts of the output weights at the end of each run with m ≥ d (negative
    against positive; marker area: the number of runs), global minima and spurious minima apart,
    over the region with enough of each sign for the teacher's inertia (``need_pos``,
    ``need_neg``). ``rows``: (m, positive, negative, end label, flipped) per run (chapter 01,
    section 2, "Why do runs get stuck?")."""
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.fill_between([need_neg - 0.5, 2 * d], need_pos - 0.5, 2 * d, color=GREEN, alpha=0.08,
                    label="enough of each sign")  # fmt: skip
    for lab, colour, marker, dx in ((SUCCESS, GREEN, "o", -0.12), (SPURIOUS, VERMILION, "X", 0.12)):
        pts = np.array([(g, p) for _, p, g, lb, _ in rows if lb == lab])
        if len(pts):
            where, size = np.unique(pts, axis=0, return_counts=True)
            ax.scatter(where[:, 0] + dx, where[:, 1], s=30 * size, color=colour, marker=marker,
                       label=lab, alpha=0.8)  # fmt: skip
    ax.set_xlim(-0.5, 2 * d - 0.5)
    ax.set_ylim(-0.5, 2 * d - 0.5)
    ax.legend(loc="upper right", fontsize=11, markerscale=0.5)
    plotting.label(ax, f"Sign counts of v at the end (m ≥ d; teacher {need_pos}+, {need_neg}−)",
                   "negative output weights", "positive output weights")  # fmt: skip
    return fig


def fig_slow_vs_stuck(
    runs: Mapping[str, dict],
    cases: Mapping[str, tuple[Problem, bool]],
    reference: str,
    budget: int,
    m: int,
) -> Figure:
    """The training loss (over the label energy) of every run against the step on log-log axes,
    one colour per problem, with a 1/T² line fitted to the end of the run ``reference``, the naive
    threshold and the naive budget. ``runs`` maps a problem to ``q.convergence``'s dict (steps
    (T,), loss (S, T)), ``cases`` to its (Problem, psd) (chapter 01, section 3)."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for (name, run), colour in zip(runs.items(), [VERMILION, BLUE, GREEN], strict=True):
        steps, rel = run["steps"], run["loss"] / cases[name][0].energy
        ax.loglog(steps[1:], rel[:, 1:].T, alpha=0.5, color=colour)
        ax.plot([], [], color=colour, label=name)
    psd_steps, psd_rel = runs[reference]["steps"], runs[reference]["loss"]
    anchor = np.median(psd_rel[:, -1]) / cases[reference][0].energy * psd_steps[-1] ** 2
    t_ref = np.array([budget, psd_steps[-1]])
    ax.loglog(t_ref, 3 * anchor / t_ref**2, "k--", lw=1.5, label="$\\propto 1/T^2$ (shifted up)")
    ax.axhline(1e-6, color="black", ls=":", label="naive threshold")
    ax.axvline(budget, color="grey", ls="--", label="naive budget")
    ax.set_ylim(1e-14, 3)
    ax.legend(fontsize=11, loc="lower left")
    plotting.label(ax, f"Same width (m={m}), three problems", "step",
                   "training loss / label energy")  # fmt: skip
    return fig


def fig_saddle_escape(steps: np.ndarray, loss: np.ndarray, energy: float, m: int) -> Figure:
    """The training loss (over the label ``energy``) of gradient descent started exactly at the
    saddle of width ``m`` and 1e-4 away from it; ``steps`` (T,), ``loss`` (2, T) (chapter 01,
    section 4)."""
    fig, ax = plt.subplots()
    ax.semilogy(steps, loss[0] / energy, label="start exactly at the saddle")
    ax.semilogy(steps, np.maximum(loss[1] / energy, 1e-16), label="start $10^{-4}$ away")
    ax.legend()
    plotting.label(ax, f"Escaping the saddle (width {m})", "step", "training loss / label energy")
    return fig


def fig_slices_1d(
    alphas: Tensor, at_minimum: Sequence[Tensor], at_saddle: Sequence[Tensor], m: int
) -> Figure:
    """1-D loss slices through the spurious minimum of width ``m`` (left: along a random
    filter-normalised direction and the flattest Hessian direction) and through the saddle of
    width m + 1 (right: random and negative-curvature direction); ``alphas`` (K,), each slice
    (K,) as ``landscape.slice_1d`` gives it, the random one first (chapter 01, section 5)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5))
    plot_slice_1d(ax1, alphas, at_minimum[0], "random (filter-normalised)")
    plot_slice_1d(ax1, alphas, at_minimum[1], "flattest Hessian direction")
    ax1.legend(fontsize=11)
    plotting.label(ax1, f"Spurious minimum (m={m}): up in every direction", "step size a",
                   "training loss L")  # fmt: skip
    plot_slice_1d(ax2, alphas, at_saddle[0], "random (filter-normalised)")
    plot_slice_1d(ax2, alphas, at_saddle[1], "negative-curvature direction")
    ax2.legend(fontsize=11)
    plotting.label(ax2, f"Saddle (m={m + 1}): one way down", "step size a", "training loss L")
    fig.tight_layout()
    return fig


def fig_slices_2d(grid: Tensor, z_sp: Tensor, z_sd: Tensor) -> Figure:
    """2-D loss slices (filled log contours) through the spurious minimum (left: its two
    flattest Hessian directions) and the saddle (right: the negative-curvature direction and a
    random unit one); ``grid`` (K,) on both axes, ``z_sp`` and ``z_sd`` (K, K) as
    ``landscape.slice_2d`` gives them (chapter 01, section 5)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    plot_slice_2d(ax1, grid, grid, z_sp)
    plotting.label(ax1, "Spurious minimum: a bowl", "flattest Hessian dir.", "second flattest")
    plot_slice_2d(ax2, grid, grid, z_sd)
    plotting.label(ax2, "Saddle: a pass", "negative-curvature dir.", "random dir. (unit)")
    fig.tight_layout()
    return fig


def fig_deep_sweep(
    widths: Sequence[int],
    k_stuck: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    neg_end: Sequence[Tensor],
    neg_start: Sequence[Tensor],
    n_seeds: int,
) -> Figure:
    """Deep quadratic nets: the fraction of stuck runs (``k_stuck`` of ``n_seeds``, Wilson
    bounds ``lo``, ``hi``, all (len(widths),)) against the width per layer, with the fractions
    whose output weights are all ≤ 0 at the end and all < 0 at the start (``neg_end``,
    ``neg_start``: one boolean (n_seeds,) per width) (chapter 01, section 6)."""
    fig, ax = plt.subplots(figsize=(8.5, 5))
    plotting.band(ax, widths, k_stuck / n_seeds, lo, hi, color=VERMILION,
                  label="stuck: loss ≥ 0.05 (95% Wilson)")  # fmt: skip
    ax.plot(widths, [float(s.float().mean()) for s in neg_end], "x", color="k", ms=12, mew=2.5,
            label="all output weights ≤ 0 at the end")  # fmt: skip
    ax.plot(widths, [float(s.float().mean()) for s in neg_start], "s", color=BLUE, ms=9,
            label="all output weights < 0 at the start")  # fmt: skip
    ax.set_ylim(-0.03, 1.03)
    ax.set_xticks(widths)
    ax.legend(loc="upper right")
    plotting.label(ax, "Two quadratic layers: the failures are sign failures",
                   "hidden units per layer m", "fraction of random starts")  # fmt: skip
    return fig
