"""The figures of chapter 04 drawn from its measurements (``demo`` has the illustrations, drawn
from nothing but a few parameters, and the widget).

Each ``fig_*`` function takes measured probabilities and the predictions they are set against
and returns a matplotlib Figure with a title and labelled axes; the chapter saves and shows it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dofcourse import plotting
from dofcourse.geometry.intersect import orthant_hit_probability
from dofcourse.geometry.statdim import statdim_l1

LEGEND_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1)}


def fig_gordon(
    k: np.ndarray,
    miss_exact: np.ndarray,
    miss_mc: np.ndarray,
    bound: np.ndarray,
    w_cap: float,
    k_max: int,
    D: int,
    alpha: float,
    n: int,
) -> Figure:
    """P(a random subspace of codimension k misses a cap of half-angle ``alpha``): exact,
    measured with ``n`` nested subspaces (every third point), and Gordon's bound, against k up
    to ``k_max``; all (D + 1,) over k (chapter 04, section 2)."""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ax.plot(k, miss_exact, label="exact (Beta law)")
    ax.plot(k[::3], miss_mc[::3], "o", ms=4, label=f"measured, {n} nested\nrandom subspaces")
    ax.plot(k, bound, label="Gordon's lower bound")
    ax.axvline(w_cap**2, color="k", ls="--", label=f"$k = w(S)^2$ = {w_cap**2:.0f}")
    ax.set_xlim(0, k_max)
    ax.legend(**LEGEND_OUTSIDE)
    plotting.label(ax, f"Escape through a mesh: cap of half-angle {alpha} in D = {D}",
                   "codimension $k = D - d$", "P(subspace misses S)")  # fmt: skip
    return fig


def fig_orthant(D: int, dims: np.ndarray, p: np.ndarray, n: int) -> Figure:
    """P(a random d-subspace meets the nonnegative orthant of R^D): measured by the LP test with
    ``n`` subspaces per d in ``dims`` (p, with binomial standard errors) against Wendel's exact
    law (chapter 04, section 3)."""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ax.axvspan(D / 2 - math.sqrt(D) / 2, D / 2 + math.sqrt(D) / 2, color="grey", alpha=0.2,
               label="$D/2 \\pm \\sqrt{D}/2$")  # fmt: skip
    d_fine = np.arange(D + 1)
    ax.plot(d_fine, orthant_hit_probability(D, d_fine), label="exact (Wendel)")
    se = np.sqrt(p * (1 - p) / n)
    ax.errorbar(dims, p, yerr=se, fmt="o", capsize=3, label=f"LP test, {n} subspaces per d")
    ax.axvline(D / 2, color="k", ls="--", label="$D - \\delta$(orthant) $= D/2$")
    ax.legend(**LEGEND_OUTSIDE)
    plotting.label(ax, f"A random d-subspace meets the orthant of $R^{{{D}}}$",
                   "subspace dimension $d$", "P(meets orthant)")  # fmt: skip
    return fig


def fig_l1_recovery(D: int, m_grid: np.ndarray, p: Mapping[int, np.ndarray]) -> Figure:
    """P(basis pursuit recovers an s-sparse vector) against the number of measurements m, one
    curve per sparsity s in ``p`` (each (len(m_grid),)), with the statistical dimension of the
    l1 descent cone at each s (chapter 04, section 4)."""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    for i, (s, ps) in enumerate(p.items()):
        ax.plot(m_grid, ps, "o-", color=f"C{i}", label=f"s = {s}")
        delta = statdim_l1(D, s).value
        ax.axvline(delta, color=f"C{i}", ls="--", label=f"δ = {delta:.1f}")
    ax.legend(**LEGEND_OUTSIDE, title="measured (dots)\nand δ (dashed)")
    plotting.label(ax, f"ℓ1 recovery in D = {D}: success vs measurements", "measurements $m$",
                   "P(exact recovery)")  # fmt: skip
    return fig


def fig_l1_phase_diagram(D: int, s: np.ndarray, m: np.ndarray, p: np.ndarray) -> Figure:
    """The success probability ``p`` (len(m), len(s)) over (sparsity, measurements), with the
    curve m = δ(s) on top (chapter 04, section 4)."""
    fig, ax = plt.subplots(figsize=(9, 6))
    mesh = ax.pcolormesh(s, m, p, shading="nearest", cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(mesh, ax=ax, label="P(exact recovery)")
    s_line = np.arange(1, D // 2 + 1)
    ax.plot(s_line, [statdim_l1(D, int(v)).value for v in s_line], "w-", lw=3)
    s_text = 0.6 * s_line[-1]
    ax.text(s_text, statdim_l1(D, int(s_text)).value - 0.08 * D, "m = δ(s)", color="w",
            fontsize=15, ha="left", va="top")  # fmt: skip
    ax.grid(False)
    plotting.label(ax, f"ℓ1 recovery phase diagram, D = {D}", "sparsity $s$", "measurements $m$")
    return fig


def fig_well_curve(r: Mapping, D: int, loss0: float, eps: float) -> Figure:
    """P(the best point of a random d-subspace of a quadratic well is below the target ``eps``,
    from a start at loss ``loss0``) against d, with D - w² and the measured 10-90 % transition;
    ``r`` is ``well_threshold``'s result (chapter 04, section 5)."""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ax.plot(r["d"], r["p"], label="exact minimum,\nrandom subspaces")
    ax.axvline(r["predicted"], color="C1", ls="--", label=f"$D - w^2$ = {r['predicted']:.1f}")
    ax.axvspan(r["threshold"] - r["width"] / 2, r["threshold"] + r["width"] / 2,
               color="grey", alpha=0.25, label="measured transition\n(10–90 %)")  # fmt: skip
    ax.legend(**LEGEND_OUTSIDE)
    title = f"Quadratic well, D = {D}: $L(\\theta_0) = {loss0:g}$, target $\\epsilon = {eps:g}$"
    ylabel = r"$P(\min_z L(\theta_0 + Pz) \leq \epsilon)$"
    plotting.label(ax, title, "training dimension $d$", ylabel)
    return fig


def fig_well_thresholds(tables: Mapping[str, pd.DataFrame], starts: Sequence[float]) -> Figure:
    """The threshold d* of quadratic wells against the target loss: exact (dots, bar: half the
    transition width) and D - w² (lines), for each spectrum in ``tables`` (``well_sweep``'s
    tables) and start loss in ``starts`` (chapter 04, section 5)."""
    fig, ax = plt.subplots(figsize=(13, 5.5))
    for i, (name, table) in enumerate(tables.items()):
        for j, loss0 in enumerate(starts):
            rows = table[table["loss0"] == loss0]
            color = f"C{2 * i + j}"
            ax.plot(rows["eps"], rows["predicted"], "-", color=color,
                    label=f"{name}, $L(\\theta_0)$ = {loss0:g}")  # fmt: skip
            ax.errorbar(rows["eps"], rows["threshold"], yerr=rows["width"] / 2, fmt="o",
                        color=color, capsize=3)  # fmt: skip
    ax.set_xscale("log")
    ax.legend(**LEGEND_OUTSIDE, title="line: $D - w^2$\ndots: exact\n(bar: ½ transition width)")
    plotting.label(ax, "Threshold training dimension of a quadratic well",
                   "target loss $\\epsilon$", "threshold dimension $d^*$")  # fmt: skip
    return fig
