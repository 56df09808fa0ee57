"""The figures of chapter 05 and its widget, drawn from tables of runs.

Each ``fig_*`` function takes results (tables of runs, thresholds, predictions) and returns a
matplotlib Figure with titles and labelled axes; :func:`explore_transition` is the widget (slide
eps and t, watch P(d) and d* move), built on ``plotting.explore``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from dofcourse import plotting
from dofcourse.phase.logistic import logistic_fit
from dofcourse.phase.success import DELTA, success_matrix, success_table, thresholds


def _yerr(value, lo, hi, cap: float) -> list[np.ndarray]:
    """Error bar lengths below/above ``value`` (a bootstrap interval need not contain its point
    estimate; an open end is drawn up to ``cap``)."""
    v = np.asarray(value, dtype=float)
    return [np.clip(v - np.asarray(lo, dtype=float), 0, None),
            np.clip(np.minimum(np.asarray(hi, dtype=float), cap) - v, 0, None)]  # fmt: skip


def _curve(ax, table: pd.DataFrame, label: str, color=None) -> None:
    """P(d) with Wilson error bars from a :func:`success_table` of one group and one eps."""
    err = [table.p - table.lo, table.hi - table.p]
    ax.errorbar(table.d, table.p, yerr=err, marker="o", capsize=4, label=label, color=color)


def fig_transition(runs: pd.DataFrame, eps: float, title: str, metric: str = "best_train_acc"
                   ) -> Figure:  # fmt: skip
    """P(d) for one target with Wilson intervals, the logistic fit, and d* (P = 1 - delta)."""
    dims, ok = success_matrix(runs, eps, metric=metric)
    fit = logistic_fit(dims, ok, n_boot=100)
    d_star = thresholds(runs, eps, metric=metric, by=(), n_boot=None).d_star[0]
    fig, ax = plt.subplots(figsize=(9, 5.5))
    _curve(ax, success_table(runs, eps, metric=metric, by=()), f"measured ({ok.shape[0]} seeds "
           "per d, 95 % Wilson)")  # fmt: skip
    grid = np.geomspace(dims[0], dims[-1], 200)
    if np.isfinite(fit.s):
        ax.plot(
            grid,
            fit.p(grid),
            color="k",
            lw=1.5,
            label=f"logistic fit: d50 ≈ {fit.d50.value:.0f}, d90/d10 ≈ {fit.width.value:.1f}",
        )
    ax.axvline(d_star, color="#D55E00", ls="--", label=f"d* (P ≥ {1 - DELTA:g}) ≈ {d_star:.0f}")
    ax.axhline(1 - DELTA, color="gray", ls=":", lw=1.2)
    ax.set_xscale("log", base=2)
    ax.set_ylim(-0.05, 1.05)
    ax.legend(loc="upper left")
    plotting.label(ax, title, "subspace dimension d", "P(success)")
    return fig


def fig_curves(runs: pd.DataFrame, eps_list: Sequence[float], th: pd.DataFrame, title: str
               ) -> Figure:  # fmt: skip
    """Left: P(d) for several targets (one group of runs): the measured points with Wilson bars,
    nudged sideways by a few percent of an octave so that bars at P = 0 and 1 do not hide each
    other, and each target's logistic fit as a line. Right: d*(eps) with its interval."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 5.5))
    table = success_table(runs, eps_list, by=())
    for i, eps in enumerate(eps_list):
        part = table[table.eps == eps]
        nudge = 2 ** (0.07 * (i - (len(eps_list) - 1) / 2))
        a1.errorbar(part.d * nudge, part.p, yerr=[part.p - part.lo, part.hi - part.p], fmt="o",
                    capsize=3, color=f"C{i}", label=f"ε = {eps:g}")  # fmt: skip
        dims, ok = success_matrix(runs, eps)
        fit = logistic_fit(dims, ok, n_boot=10)
        if np.isfinite(fit.s):
            grid = np.geomspace(dims[0], dims[-1], 300)
            a1.plot(grid, fit.p(grid), color=f"C{i}", lw=1.8)
    a1.plot([], [], color="gray", lw=1.8, label="logistic fits")
    a1.axhline(1 - DELTA, color="gray", ls=":", lw=1.2)
    a1.set_xscale("log", base=2)
    a1.legend(loc="upper left", title="train accuracy ≥")
    plotting.label(a1, title, "subspace dimension d", "P(success)")
    f = th[np.isfinite(th.d_star)]
    a2.errorbar(f.eps, f.d_star, yerr=_yerr(f.d_star, f.lo, f.hi, 4 * f.d_star.max()), marker="o",
                capsize=4, color="#D55E00")  # fmt: skip
    a2.set_yscale("log", base=2)
    plotting.label(a2, f"Threshold d* (P ≥ {1 - DELTA:g}), 95 % bootstrap", "target ε (train "
                   "accuracy)", "d*")  # fmt: skip
    return fig


_OUTLINE = [patheffects.withStroke(linewidth=5, foreground="k")]
ACC_TICKS = (0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998)


def accuracy_axis(ax, which: str = "y", low: float = 0.0) -> None:
    """A logit axis (``which`` "y" or "x") for accuracies, ticked at round values from ``low``
    (0.9, 0.99, 0.999 equally spaced); chapters 05 and 06."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("logit")
    axis.set_major_locator(FixedLocator([v for v in ACC_TICKS if v >= low]))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(NullLocator())


def anchor_accuracy(runs: pd.DataFrame) -> dict[int, float]:
    """{t: training accuracy of the anchor theta_t}: the first evaluation (step 0) of its runs."""
    first = runs.groupby("t").train_acc_curve.first()
    return {int(t): float(curve[0]) for t, curve in first.items()}


TRIVIAL = {"facecolor": "#BBBBBB", "edgecolor": "#777777", "hatch": "//", "lw": 0}


def _trivial_patch() -> Patch:
    return Patch(**TRIVIAL, label="θ_t alone reaches ε (success at step 0)")


def fig_phase_diagrams(runs: pd.DataFrame, ts: Sequence[int], eps_grid: np.ndarray,
                       full_acc: float, D: int) -> Figure:  # fmt: skip
    """P(success) over (d, eps) for each burn-in t (eps on a logit axis, so that 0.9, 0.99 and
    0.999 are equally far apart), with d*(eps) and the full model's accuracy. Targets the anchor
    theta_t already meets are hatched grey: every run succeeds there at step 0, whatever d."""
    fig, axes = plt.subplots(1, len(ts), figsize=(7 * len(ts), 6), sharey=True)
    axes = np.atleast_1d(axes)
    own = anchor_accuracy(runs)
    for ax, t in zip(axes, ts, strict=True):
        group = runs[runs.t == t]
        p = success_table(group, list(eps_grid), by=()).pivot(index="eps", columns="d", values="p")
        dims, eps = p.columns.to_numpy(dtype=float), p.index.to_numpy(dtype=float)
        x_edges = np.r_[dims[0] / 2**0.5, np.sqrt(dims[:-1] * dims[1:]), dims[-1] * 2**0.5]
        mid = np.sqrt(eps[:-1] * eps[1:])
        y_edges = np.r_[eps[0] - (mid[0] - eps[0]), mid, eps[-1] + (eps[-1] - mid[-1]) / 2]
        mesh = ax.pcolormesh(x_edges, y_edges, p.to_numpy(), cmap="viridis", vmin=0, vmax=1)
        th = thresholds(group, list(eps_grid), by=(), n_boot=None)
        ok = np.isfinite(th.d_star) & (th.eps > own[t])
        ax.plot(th.d_star[ok], th.eps[ok], color="w", lw=3)
        ax.axhline(full_acc, color="#E69F00", ls="--", lw=2.5)
        if own[t] > y_edges[0]:
            ax.fill_between(x_edges[[0, -1]], y_edges[0], own[t], **TRIVIAL)
            ax.axhline(own[t], color="k", lw=1.5)
        ax.set_xscale("log", base=2)
        accuracy_axis(ax)
        ax.set_ylim(y_edges[0], y_edges[-1])
        ax.set_xlim(x_edges[0], x_edges[-1])
        title = f"burn-in t = {t}" + (f" (θ_t: {own[t]:.2f})" if t else " (the initialisation)")
        plotting.label(ax, title, "subspace dimension d", "target ε (train accuracy)")
    fig.colorbar(mesh, ax=axes.tolist(), label="P(success)")
    handles = [
        Line2D([], [], color="w", lw=3, markeredgecolor="k", path_effects=_OUTLINE,
               label=f"d*(ε): P = {1 - DELTA:g}"),
        Line2D([], [], color="#E69F00", ls="--", lw=2.5,
               label=f"full model, same steps ({full_acc:.3f})"),
        _trivial_patch(),
    ]  # fmt: skip
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.45, 0.0), ncol=3)
    fig.suptitle(f"Phase diagram of subspace training (D = {D:,})", y=1.02)
    return fig


def fig_burn_in(runs: pd.DataFrame, eps_grid: Sequence[float], th: pd.DataFrame,
                eps_list: Sequence[float], D: int) -> Figure:  # fmt: skip
    """Left: d*(eps) for every burn-in t, drawn only for targets above the anchor's own accuracy
    (a triangle marks it: below it nothing needs training). Right: d* against t at the targets
    ``eps_list`` (rows of ``th``), open circles where the anchor alone already reaches the
    target; right axis d*/D."""
    own = anchor_accuracy(runs)
    ts = sorted(th.t.unique())
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(16, 6.5), gridspec_kw={"wspace": 0.35})
    colors = plt.get_cmap("plasma")(np.linspace(0, 0.85, len(ts)))
    floor = float(runs.d.min())
    for color, t in zip(colors, ts, strict=True):
        curve = thresholds(runs[runs.t == t], list(eps_grid), by=(), n_boot=None)
        curve = curve[np.isfinite(curve.d_star) & (curve.eps > own[t])]
        a0.plot(curve.eps, curve.d_star, color=color, lw=2.5, label=f"t = {t}  (θ_t: {own[t]:.2f})")
        if own[t] >= eps_grid[0]:
            a0.plot([own[t]], [floor], marker="^", ms=13, color=color, markeredgecolor="k",
                    clip_on=False, zorder=5)  # fmt: skip
    a0.plot([], [], marker="^", ms=11, ls="", color="w", markeredgecolor="k",
            label="accuracy of θ_t itself")  # fmt: skip
    accuracy_axis(a0, "x", low=min(eps_grid))
    a0.set_xlim(min(eps_grid), max(eps_grid))
    a0.set_yscale("log", base=2)
    a0.set_ylim(floor / 1.3, None)
    a0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=11)
    plotting.label(a0, "The threshold d*(ε) after t steps of burn-in",
                   "target ε (train accuracy)", "d*")  # fmt: skip
    pos = {t: i for i, t in enumerate(ts)}
    for i, eps in enumerate(eps_list):
        row = th[(th.eps == eps) & np.isfinite(th.d_star)].sort_values("t")
        done = np.array([own[t] >= eps for t in row.t], dtype=bool)
        x = np.array([pos[t] for t in row.t])
        y = row.d_star.to_numpy()
        a1.errorbar(x[~done], y[~done], yerr=_yerr(y[~done], row.lo[~done], row.hi[~done], 8 * D),
                    marker="o", capsize=4, color=f"C{i}", label=f"ε = {eps:g}")  # fmt: skip
        a1.scatter(x[done], np.full(done.sum(), floor), marker="o", facecolor="none",
                   edgecolor=f"C{i}", s=80, lw=2, clip_on=False)  # fmt: skip
    a1.scatter([], [], marker="o", facecolor="none", edgecolor="gray",
               label="θ_t alone reaches ε: no d* (drawn on the axis)")  # fmt: skip
    a1.set_yscale("log", base=2)
    a1.set_ylim(floor / 1.3, None)
    a1.set_xticks(range(len(ts)), [str(t) for t in ts])
    a1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=11)
    right = a1.secondary_yaxis("right", functions=(lambda d: d / D, lambda f: f * D))
    right.set_ylabel("d* / D")
    plotting.label(a1, "d* against burn-in, at four targets", "burn-in steps t", "d*")
    return fig


def fig_prediction(table: pd.DataFrame, D: int) -> Figure:
    """Measured against predicted thresholds (columns t, eps, d_pred, d_star), with y = x; each
    anchor t is nudged a few percent along the diagonal so that equal points stay visible."""
    fig, ax = plt.subplots(figsize=(8.5, 7))
    ok = table.dropna(subset=["d_pred"])
    ok = ok[np.isfinite(ok.d_star)]
    markers = "osD^v<>"
    ts = sorted(ok.t.unique())
    for i, t in enumerate(ts):
        # anchors with the same prediction and measurement would hide each other: each t is
        # moved a few percent along y = x, which keeps its ratio measured / predicted
        along = 1.06 ** (i - (len(ts) - 1) / 2)
        for j, eps in enumerate(sorted(ok.eps.unique())):
            r = ok[(ok.t == t) & (ok.eps == eps)]
            ax.scatter(r.d_pred * along, r.d_star * along, s=90, color=f"C{i}",
                       marker=markers[j % 7], label=f"t = {t}" if j == 0 else None,
                       edgecolor="k", alpha=0.85)  # fmt: skip
    for j, eps in enumerate(sorted(ok.eps.unique())):
        ax.scatter([], [], marker=markers[j % 7], color="w", edgecolor="k", label=f"loss ≤ {eps:g}")
    values = np.r_[ok.d_pred, ok.d_star]
    lim = np.array([values.min() / 2, min(values.max() * 2, D)])
    ax.plot(lim, lim, color="k", lw=1.2, label="y = x")
    ax.fill_between(lim, lim / 2, lim * 2, color="gray", alpha=0.15, label="within 2x")
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=11)
    plotting.label(ax, "Quadratic-well prediction vs measurement", "predicted d* = D − δ",
                   "measured d* (P ≥ 0.9)")  # fmt: skip
    return fig


def explore_transition(runs: pd.DataFrame, eps: float = 0.9, name: str | None = None):
    """Widget: slide the target eps and the burn-in t; P(d), its logistic fit and d* redraw."""
    ts = sorted(int(t) for t in runs.t.unique())

    def draw(eps: float, t: int) -> Figure:
        group = runs[runs.t == t]
        fig = fig_transition(group, eps, f"Burn-in t = {t}, train accuracy ≥ {eps:.3f}")
        return fig

    return plotting.explore(
        draw,
        name=name,
        eps=ipywidgets.FloatSlider(value=eps, min=0.3, max=0.995, step=0.005, description="ε"),
        t=ipywidgets.SelectionSlider(options=ts, value=ts[0], description="burn-in t"),
    )
