"""The figures of appendix A1: leverage scores, sampled least squares, Khatri–Rao bound, CP-ALS.

Curves over seeds are drawn as the median with a band from the 10th to the 90th percentile
(``plotting.band``): a sampled solution's residual has a long upper tail, which a min–max band
would let one unlucky seed dominate.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dofcourse import plotting
from dofcourse.sketching.leverage import leverage_scores
from dofcourse.sketching.sampled_ls import SCHEMES, residual, sample_rows, sampled_lstsq

COLORS = {"uniform": "C1", "leverage": "C0", "hybrid": "C2"}


def fig_leverage(A: np.ndarray) -> Figure:
    """The leverage score of every row of A."""
    lev = leverage_scores(A)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.plot(np.arange(len(lev)), lev, ".", ms=3, color="C0", label="rows")
    top = np.flatnonzero(lev > 0.5)
    ax.plot(top, lev[top], "o", ms=10, color="C1", label=f"{len(top)} rows with score > 0.5")
    ax.axhline(A.shape[1] / A.shape[0], color="k", ls=":", label="n / m (every row equal)")
    ax.set_yscale("log")
    ax.legend(loc="center right")
    plotting.label(
        ax,
        f"Leverage scores of a {A.shape[0]} × {A.shape[1]} matrix (sum = "
        f"{lev.sum():.2f} = its rank)",
        "row i",
        "leverage score $\\ell_i$ (log)",
    )
    return fig


def fig_residuals(table: pd.DataFrame, n: int) -> Figure:
    """Residual / optimal residual against the number of sampled rows, per sampling kind."""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for kind, color in (("uniform", "C1"), ("leverage", "C0")):
        g = table[table.kind == kind].groupby("n_samples")["ratio"]
        x = g.median().index.to_numpy()
        plotting.band(
            ax,
            x,
            g.median(),
            g.quantile(0.1),
            g.quantile(0.9),
            label=f"{kind} sampling",
            color=color,
        )
    ax.axhline(1.0, color="k", lw=1, label="all rows (exact least squares)")
    ax.axhline(1.1, color="gray", ls=":", label="within 10 % of optimal")
    ax.axvline(n, color="gray", ls="--", lw=1, label=f"n = {n} columns")
    ax.set(xscale="log", yscale="log")
    ax.legend(loc="upper right")
    n_seeds = table["sample_seed"].nunique()
    plotting.label(
        ax,
        f"Least squares from sampled rows (median, 10–90 % over {n_seeds} seeds)",
        "rows sampled s (log)",
        "$\\|A\\hat x - b\\| / \\|Ax^* - b\\|$ (log)",
    )
    return fig


def fig_hybrid(table: pd.DataFrame, n: int) -> Figure:
    """Larsen and Kolda's hybrid sample against plain leverage sampling: the excess residual
    (ratio - 1, log) and the number of distinct rows, against the number of rows s."""
    fig, (ax_r, ax_d) = plt.subplots(1, 2, figsize=(15, 5.4))
    for kind in ("leverage", "hybrid"):
        g = table[table.kind == kind].groupby("n_samples")
        x = g.size().index.to_numpy()
        excess = g["ratio"]
        plotting.band(ax_r, x, excess.median() - 1, excess.quantile(0.1) - 1,
                      excess.quantile(0.9) - 1, label=kind, color=COLORS[kind])  # fmt: skip
        ax_d.plot(x, g["distinct"].median() / x, "o-", color=COLORS[kind], label=kind)
    ax_r.axhline(0.1, color="gray", ls=":", label="within 10 % of optimal")
    ax_r.set(xscale="log", yscale="log")
    ax_r.legend(loc="upper right")
    n_seeds = table["sample_seed"].nunique()
    plotting.label(
        ax_r,
        f"Excess residual (median, 10–90 % over {n_seeds} seeds)",
        "rows sampled s (log)",
        "$\\|A\\hat x - b\\| / \\|Ax^* - b\\| - 1$ (log)",
    )
    ax_d.axhline(1.0, color="k", lw=1)
    ax_d.set(xscale="log", ylim=(0, 1.05))
    ax_d.legend(loc="lower left")
    plotting.label(ax_d, "Distinct rows per row sampled (median)", "rows sampled s (log)",
                   "distinct rows / s")  # fmt: skip
    fig.suptitle(f"Hybrid sampling (high-leverage rows kept, repeats combined), n = {n} columns")
    fig.tight_layout()
    return fig


def fig_samples(A: np.ndarray, b: np.ndarray, n_samples: int, sample_seed: int = 0) -> Figure:
    """Which rows each scheme (uniform, leverage, hybrid) draws, on the leverage scores, and the
    residual it gets; the high-leverage rows (score > 0.5) are ringed, so a missed one shows as an
    empty ring."""
    lev, best = leverage_scores(A), residual(A, b, np.linalg.lstsq(A, b, rcond=None)[0])
    high = np.flatnonzero(lev > 0.5)
    fig, axes = plt.subplots(1, len(SCHEMES), figsize=(18, 5.2), sharey=True)
    for ax, kind in zip(axes, SCHEMES, strict=True):
        rows, w = sample_rows(A, kind, n_samples, sample_seed)
        ratio = residual(A, b, sampled_lstsq(A, b, rows, w)) / best
        ax.plot(np.arange(len(lev)), lev, ".", ms=2, color="0.7", label="all rows")
        ax.plot(rows, lev[rows], "o", ms=5, color=COLORS[kind], label=f"sampled ({kind})")
        ax.plot(high, lev[high], "o", ms=13, mfc="none", mec="k", mew=1.5,
                label="high-leverage rows (score > 0.5)")  # fmt: skip
        ax.set_yscale("log")
        drawn = np.isin(high, rows).sum()
        plotting.label(
            ax,
            f"{kind}: {len(np.unique(rows))} distinct rows, {drawn} of {len(high)} "
            f"high-leverage\nresidual ×{ratio:.2f} the optimal one",
            "row i",
            "leverage score (log)",
        )
    handles = [h for ax in axes for h in ax.get_legend_handles_labels()[0]]
    labels = [lab for ax in axes for lab in ax.get_legend_handles_labels()[1]]
    keep = [labels.index(lab) for lab in dict.fromkeys(labels)]  # each label once
    fig.legend([handles[i] for i in keep], [labels[i] for i in keep], loc="lower center",
               ncols=len(keep), frameon=False)  # fmt: skip
    fig.suptitle(
        f"s = {n_samples} rows drawn out of {A.shape[0]}: an empty ring is a high-leverage row "
        "the sample missed"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def fig_kr_bound(exact: np.ndarray, bound: np.ndarray, rank: int) -> Figure:
    """Exact leverage scores of a Khatri–Rao product against the product bound, row by row."""
    fig, ax = plt.subplots(figsize=(6.5, 6))
    ax.loglog(bound, exact, "o", ms=4, alpha=0.6)
    lim = [min(bound.min(), exact.min()) / 2, 1.2]
    ax.plot(lim, lim, "k--", lw=1, label="exact = bound")
    ax.legend(loc="upper left")
    plotting.label(
        ax,
        f"Khatri–Rao leverage vs the bound (R = {rank})\nsums: exact "
        f"{exact.sum():.2f}, bound {bound.sum():.2f}",
        "bound $\\ell_j(A)\\,\\ell_k(B)$",
        "exact $\\ell_{(j,k)}(A \\odot B)$",
    )
    return fig


def fig_cp(out: dict, shape: tuple[int, ...]) -> Figure:
    """Fit after each sweep for our two CP-ALS variants (one line per start), tensorly's end
    points at its last sweep, and the median CPU time of each method (the cost per run)."""
    table, traces = out["table"], out["traces"]
    colors = {"ALS (ours)": "C1", "tensorly parafac": "C2"}
    fig, (ax_f, ax_t) = plt.subplots(1, 2, figsize=(16, 5.6), gridspec_kw={"width_ratios": [3, 2]})
    n_iter = 0
    for method, runs in traces.items():
        color = colors.get(method, "C0")
        for i, (_, fit) in enumerate(runs.values()):
            sweeps = np.arange(1, len(fit) + 1)
            n_iter = max(n_iter, len(fit))
            ax_f.plot(sweeps, fit, "-", color=color, lw=1.8, alpha=0.8,
                      label=method if i == 0 else None)  # fmt: skip
    lib = table[table.method == "tensorly parafac"]
    if len(lib):
        ax_f.plot(np.full(len(lib), n_iter + 0.6), lib.fit, "D", color="C2", ms=9,
                  label="tensorly parafac (after its last sweep)")  # fmt: skip
    best = table.fit.max()
    low = best - 0.02
    ax_f.set(ylim=(low, best + 0.004), xlim=(0.5, n_iter + 1.2))
    stuck = int((table.fit < low).sum())
    note = f" ({stuck} of {len(table)} runs end below, at a poor solution)" if stuck else ""
    # below the axes: every start's first sweeps rise from below the plot
    ax_f.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3, fontsize=11,
                title=f"one line per start{note}", title_fontsize=11)  # fmt: skip
    plotting.label(
        ax_f,
        f"CP-ALS on a {' × '.join(map(str, shape))} tensor: fit after each sweep",
        "sweep (one update of every factor)",
        "fit $1 - \\|X - \\hat X\\| / \\|X\\|$",
    )
    med = table.groupby("method", sort=False)["cpu_seconds"].median()
    ax_t.barh(med.index, med.to_numpy(), color=[colors.get(m, "C0") for m in med.index])
    ax_t.invert_yaxis()
    plotting.label(ax_t, "Median CPU time of the whole run", "CPU seconds", "")
    fig.tight_layout()
    return fig
