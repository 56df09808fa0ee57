"""The figures of chapter 10: the stability edge, sharpness along GD, effective counts, confusion.

Curves over seeds are drawn as their median with a band from the smallest to the largest seed
(``plotting.band``), so a band shows the whole spread of the runs. Every figure is titled, its
axes labelled, its legend placed off the data where the data leave room.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from torch import Tensor

from dofcourse import plotting

COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
ARCH_LABEL = {"plain": "plain MLP", "bn_skip": "BN + skips"}


def fig_quadratic(eigs: Tensor, norms: Mapping[float, Tensor]) -> Figure:
    """‖θ_t‖ of GD on the quadratic with Hessian diag(``eigs``), one curve per step size (the
    ``norms`` of ``quadratic_gd``, {lr: (T,)}), with η λ_max in the legend. Chapter 10."""
    fig, ax = plt.subplots(figsize=(8, 5))
    lam_max = float(eigs.max())
    for (lr, n), colour in zip(norms.items(), COLOURS, strict=False):
        ax.semilogy(n.numpy(), color=colour, label=f"η λ_max = {lr * lam_max:.2f}")
    ax.legend(loc="upper left")
    plotting.label(ax, f"GD on a quadratic, λ_max = {lam_max:g}: stable iff η < 2/λ_max",
                   "step t", "distance to the minimum ‖θ_t‖ (log)")  # fmt: skip
    return fig


def _median_band(ax, x, rows, colour, label, style="-"):
    rows = np.asarray(rows, dtype=float)
    ax.plot(x, np.median(rows, 0), style, color=colour, label=label)
    if rows.shape[0] > 1:
        ax.fill_between(x, rows.min(0), rows.max(0), color=colour, alpha=0.2, lw=0)


def fig_sharpness(runs: Mapping[float, dict], lrs: Sequence[float] | None = None) -> Figure:
    """(a) λ_max along GD with each rate's stability edge 2/η dashed; (b) the training loss;
    (c) the overlap of the top-k eigenspace with the previous checkpoint's. ``runs`` as returned
    by ``gd_sharpness``; ``lrs`` chooses some of them. Chapter 10."""
    lrs = sorted(runs) if lrs is None else list(lrs)
    fig, (ax_s, ax_l, ax_o) = plt.subplots(1, 3, figsize=(19, 5.4))
    for lr, colour in zip(lrs, COLOURS, strict=False):
        r = runs[lr]
        ck = r["checkpoints"]
        _median_band(ax_s, ck, r["top"][:, :, 0], colour, f"η = {lr:g}")
        ax_s.axhline(2 / lr, color=colour, ls="--", lw=1.5)
        _median_band(ax_l, r["step"], r["loss"], colour, f"η = {lr:g}")
        _median_band(ax_o, ck[1:], r["overlap"][:, 1:], colour, f"η = {lr:g}")
    ax_s.set_yscale("log")
    ax_s.legend(loc="lower center", title="dashed: 2/η")
    plotting.label(ax_s, "(a) sharpness λ_max and the edge 2/η", "step", "λ_max (log)")
    ax_l.set_yscale("log")
    ax_l.legend(loc="lower left")
    plotting.label(ax_l, "(b) training loss (full batch)", "step", "cross-entropy (log)")
    ax_o.set_ylim(0, 1.05)
    ax_o.legend(loc="lower right")
    k = runs[lrs[0]]["top"].shape[2]
    plotting.label(ax_o, f"(c) how far the top-{k} eigenspace turned", "step",
                   "overlap with previous checkpoint")  # fmt: skip
    fig.tight_layout()
    return fig


def fig_one_rate(runs: Mapping[float, dict], lr: float) -> Figure:
    """Sharpness (with 2/η) and loss along GD at one rate ``lr``, every seed drawn: the widget's
    figure. Axes are shared by all rates, so moving the slider moves the curves only."""
    r = runs[lr]
    top_all = np.concatenate([runs[v]["top"][:, :, 0].ravel() for v in runs])
    loss_all = np.concatenate([runs[v]["loss"].ravel() for v in runs])
    fig, (ax_s, ax_l) = plt.subplots(1, 2, figsize=(15, 5))
    for e in range(r["top"].shape[0]):
        ax_s.plot(r["checkpoints"], r["top"][e, :, 0], "o-", ms=3, color=COLOURS[e % 5],
                  label=f"seed {e}")  # fmt: skip
        ax_l.plot(r["step"], r["loss"][e], color=COLOURS[e % 5], label=f"seed {e}")
    ax_s.axhline(2 / lr, color="k", ls="--", label="2/η")
    ax_s.set(yscale="log", ylim=(top_all.min() / 1.5, max(top_all.max(), 2 / min(runs)) * 1.5))
    ax_l.set(yscale="log", ylim=(loss_all.min() / 1.5, loss_all.max() * 1.5))
    ax_s.legend(loc="lower right")
    ax_l.legend(loc="lower left")
    plotting.label(ax_s, f"η = {lr:g}: sharpness and the edge 2/η = {2 / lr:g}", "step",
                   "λ_max (log)")  # fmt: skip
    plotting.label(ax_l, f"η = {lr:g}: training loss", "step", "cross-entropy (log)")
    fig.tight_layout()
    return fig


def fig_counts(
    steps: Sequence[int], counts: Mapping[float, list[dict]], alpha: float, c: float
) -> Figure:
    """N_eff(α) and the adjusted count N_adj(c) at the checkpoints ``steps`` for each rate
    ({lr: one ``counts_along`` dict per seed}). Chapter 10."""
    fig, (ax_n, ax_a) = plt.subplots(1, 2, figsize=(15, 5.2))
    for (lr, per_seed), colour in zip(counts.items(), COLOURS, strict=False):
        _median_band(ax_n, steps, [d["n_eff"] for d in per_seed], colour, f"η = {lr:g}", "o-")
        _median_band(ax_a, steps, [d["n_adj"] for d in per_seed], colour, f"η = {lr:g}", "o-")
    for ax, where in ((ax_n, "lower left"), (ax_a, "upper right")):
        ax.set_yscale("log")
        ax.legend(loc=where)
    plotting.label(ax_n, f"(a) MacKay's N_eff at a fixed α = {alpha:g}", "step", "N_eff (log)")
    plotting.label(ax_a, f"(b) adjusted count N_eff(c·λ_max), c = {c:g}", "step", "N_adj (log)")
    fig.tight_layout()
    return fig


def _per_arch(ax, table: pd.DataFrame, x: str, y: str) -> None:
    for arch, colour in zip(("plain", "bn_skip"), COLOURS, strict=False):
        t = table[table["arch"] == arch]
        if t.empty:
            continue
        g = t.groupby(x)[y]
        plotting.band(ax, g.median().index, g.median(), g.min(), g.max(), label=ARCH_LABEL[arch],
                      color=colour)  # fmt: skip


def fig_confusion(
    by_width: pd.DataFrame, by_depth: pd.DataFrame, stat: str = "min_cos_init"
) -> Figure:
    """Confusion (−``stat``, a cosine) and SGD's steps to the target against width and depth, for
    both architectures: (a) confusion vs width, (b) vs depth, (c) steps vs width, (d) vs depth."""
    fig, axes = plt.subplots(2, 2, figsize=(15, 10))
    for col, (table, x) in enumerate(((by_width, "width"), (by_depth, "depth"))):
        t = table.assign(confusion=-table[stat], steps=table["steps"].replace(np.inf, np.nan))
        _per_arch(axes[0, col], t, x, "confusion")
        _per_arch(axes[1, col], t, x, "steps")
        fixed = "depth" if x == "width" else "width"
        where = f"{fixed} {int(table[fixed].iloc[0])}"
        plotting.label(axes[0, col], f"({'ab'[col]}) confusion vs {x} ({where})", x,
                       "−min cosine of a batch")  # fmt: skip
        plotting.label(axes[1, col], f"({'cd'[col]}) SGD steps to the target loss ({where})", x,
                       "steps (missing: not reached)")  # fmt: skip
        for ax in axes[:, col]:
            if x == "width":
                ax.set_xscale("log", base=2)
            ax.set_xticks(sorted(table[x].unique()), [str(v) for v in sorted(table[x].unique())])
            ax.legend(loc="upper right")
    axes[1, 0].set_ylim(0, None)
    axes[1, 1].set_ylim(0, None)
    fig.tight_layout()
    return fig


def fig_cosines(table: pd.DataFrame, x: str, arch: str = "plain", when: str = "init") -> Figure:
    """Histogram of the pairwise cosines of one batch for each value of ``x`` ("width" or
    "depth"), seeds pooled: the widget's figure for one architecture. Chapter 10."""
    t = table[table["arch"] == arch]
    fig, ax = plt.subplots(figsize=(9, 5))
    bins = np.linspace(-1, 1, 81)
    for (v, g), colour in zip(t.groupby(x), COLOURS, strict=False):
        cos = np.concatenate([c.numpy() for c in g[f"cosines_{when}"]])
        ax.hist(cos, bins=bins, density=True, histtype="step", lw=2, color=colour,
                label=f"{x} {v}")  # fmt: skip
    ax.set_xlim(-0.6, 1.0)
    ax.legend(loc="upper left")
    plotting.label(ax, f"Pairwise gradient cosines, {ARCH_LABEL[arch]} ({when})",
                   "cos(∇ℓ_i, ∇ℓ_j)", "density")  # fmt: skip
    return fig


def fig_depth_inits(by_init: Mapping[str, pd.DataFrame], stat: str = "min_cos_init") -> Figure:
    """Confusion (−``stat``, a cosine) against depth at initialisation for both architectures,
    one panel per initialisation ({"PyTorch's default": depth-sweep table, "He": ...}), on one
    y axis: the depth trend at each. Chapter 10."""
    fig, axes = plt.subplots(1, len(by_init), figsize=(7.5 * len(by_init), 5.2))
    axes = np.atleast_1d(axes)
    top = 1.1 * max(float((-t[stat]).max()) for t in by_init.values())  # one scale for all
    for ax, (name, table), letter in zip(axes, by_init.items(), "abcd", strict=False):
        _per_arch(ax, table.assign(confusion=-table[stat]), "depth", "confusion")
        depths = sorted(table["depth"].unique())
        ax.set_xscale("log", base=2)
        ax.set_xticks(depths, [str(v) for v in depths])
        ax.set_ylim(0, top)
        ax.legend(loc="upper left")  # the curves start low: the upper left is free
        width = int(table["width"].iloc[0])
        plotting.label(ax, f"({letter}) {name} initialisation, width {width}", "depth",
                       "−min cosine of a batch (at init)")  # fmt: skip
    fig.tight_layout()
    return fig
