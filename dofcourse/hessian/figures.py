"""The figures of chapter 02, drawn from its Hessians, spectra and checkpoint summaries.

Each ``fig_*`` function takes results (a dense Hessian, :class:`Spectrum` values, outlier counts,
Gauss–Newton eigenvalues, :class:`SpectrumSummary` values) and returns a matplotlib Figure with
titles and labelled axes; the chapter saves and shows it. Eigenvalues are tensors of shape (k,),
largest first, as ``hs.spectrum`` gives them. :func:`explore_checkpoints` is the widget (a slider
over the checkpoints of a training run), built on ``plotting.explore``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from dofcourse import checks, plotting
from dofcourse.hessian.classifiers import Spectrum
from dofcourse.hessian.evolution import SpectrumSummary
from dofcourse.hessian.outliers import bulk_scale, effective_parameters_slq

BLUE, GREEN, ORANGE, VERMILION = "#0072B2", "#009E73", "#E69F00", "#D55E00"
SERIES = (GREEN, ORANGE, BLUE)  # the three class counts or widths, smallest first


def fig_tiny_hessian(H: np.ndarray, sizes: Sequence[int]) -> Figure:
    """The exact Hessian ``H`` (D, D) of the tiny MLP as an image on a symmetric colour scale,
    with black lines between the parameter blocks of ``sizes`` (W1, b1, W2, b2) (chapter 02,
    section 1)."""
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    lim = float(np.abs(H).max())
    im = ax.imshow(H, cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=ax, label="$H_{ij}$")
    ax.grid(False)
    for edge in np.cumsum(sizes)[:-1] - 0.5:  # layer boundaries: W1, b1, W2, b2
        ax.axhline(edge, color="k", lw=0.8)
        ax.axvline(edge, color="k", lw=0.8)
    plotting.label(ax, f"Exact Hessian of a tiny MLP (D = {H.shape[0]})", "parameter j",
                   "parameter i")  # fmt: skip
    return fig


def fig_spectrum(
    spec: Spectrum,
    n_out: int,
    n_split: int,
    gap: float,
    sigma: float,
    lo_node: float,
    dataset: str,
) -> Figure:
    """Left: the SLQ density of the 10-class network (log scale, kernel width ``sigma``; grey
    below the smallest node ``lo_node``) with the top eigenvalues marked; right: the top
    eigenvalues ``spec.top`` (k,), the ``n_out`` outliers in orange, and the Otsu split after
    ``n_split`` with its ``gap`` (chapter 02, section 2)."""
    top = spec.top
    lam = np.linspace(lo_node - 4 * sigma, float(top[0]) * 1.05, 4000)
    rho = spec.density.density(torch.tensor(lam), sigma=sigma).numpy()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5.5))
    ax.plot(lam, rho, color=BLUE, label=f"SLQ density (σ = {sigma:.2g})")
    ax.axvspan(lam[0], lo_node, color="grey", alpha=0.25, label="below λ_min: smoothing only")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, rho.max() * 3)
    ax.plot(top[:n_out], np.full(n_out, 3e-6), "v", color=VERMILION, label="outliers (Lanczos)")
    ax.plot(top[n_out:], np.full(len(top) - n_out, 3e-6), "|", color=BLUE, ms=14,
            label="bulk's top (Lanczos)")  # fmt: skip
    ax.legend(loc="upper right")
    plotting.label(ax, f"Spectral density, {dataset}, 10 classes", "eigenvalue λ",
                   "density ρ(λ) (log scale)")  # fmt: skip
    idx = np.arange(1, len(top) + 1)
    ax2.semilogy(idx[:n_out], top[:n_out], "o", color=VERMILION, label="outliers")
    ax2.semilogy(idx[n_out:], top[n_out:], "o", color=BLUE, label="bulk")
    ax2.axhline(math.sqrt(top[n_split - 1] * top[n_split]), color="k", ls="--", lw=1.5,
                label=f"Otsu split (gap ×{gap:.2f})")  # fmt: skip
    ax2.legend()
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    plotting.label(ax2, f"Top {len(top)} eigenvalues (D = {spec.D:,})", "index i (largest first)",
                   "λ_i (log scale)")  # fmt: skip
    return fig


def fig_outliers_vs_classes(
    counts: Mapping[int, Sequence[int]],
    counts_init: Mapping[int, Sequence[int]],
    tops: Mapping[int, Sequence[Tensor]],
) -> Figure:
    """Left: the outlier count of every seed against the number of classes C (filled: trained,
    open: at initialisation), with C and C − 1; right: the top eigenvalues (k,) of seed 0 over
    the bulk scale, outliers circled. Each mapping goes from C (three values) to one entry per
    seed (chapter 02, section 3)."""
    classes = tuple(counts)
    colors = dict(zip(classes, SERIES, strict=True))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5.5))
    for c in classes:
        jitter = np.linspace(-0.3, 0.3, len(counts[c]))
        ax.plot(c + jitter, counts[c], "o", color=colors[c], ms=10, label=f"{c} classes, trained")
        ax.plot(c + jitter, counts_init[c], "o", color=colors[c], ms=10, mfc="none", mew=2)
    ax.plot([], [], "o", color="grey", mfc="none", mew=2, label="at initialisation")
    cs = np.array([1, 11])
    ax.plot(cs, cs, "k:", lw=1.5, label="C")
    ax.plot(cs, cs - 1, "k--", lw=1.5, label="C − 1")
    ax.set_xticks(classes)
    ax.legend(loc="upper left", fontsize=11)
    plotting.label(ax, f"Outliers vs classes ({len(counts[classes[0]])} seeds each)",
                   "number of classes C", "outliers (top 20)")  # fmt: skip
    for c in classes:
        rel_c = tops[c][0] / bulk_scale(tops[c][0])
        idx, n = np.arange(1, len(rel_c) + 1), counts[c][0]
        ax2.semilogy(idx, rel_c, "o-", color=colors[c], ms=5, lw=1,
                     label=f"{c} classes: {n} outliers")  # fmt: skip
        ax2.semilogy(idx[:n], rel_c[:n], "o", color=colors[c], ms=12, mfc="none", mew=2)
    ax2.legend()
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    plotting.label(ax2, "Top eigenvalues, seed 0 (outliers circled)", "index i (largest first)",
                   "λ_i / bulk scale (log scale)")  # fmt: skip
    return fig


def fig_width(by_width: Mapping[int, tuple[Spectrum, float]]) -> Figure:
    """Left: the top eigenvalues (k,) of the network of each width; right: D·ρ(λ), eigenvalues
    per unit λ (SLQ, σ = 0.05). ``by_width`` maps three widths to (spectrum, near-zero count)
    (chapter 02, section 4)."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(15, 5.5))
    grid = np.linspace(-0.3, 1.0, 600)
    for w, color in zip(by_width, SERIES, strict=True):
        sp_w, _ = by_width[w]
        idx = np.arange(1, len(sp_w.top) + 1)
        ax.semilogy(idx, sp_w.top, "o-", color=color, ms=5, lw=1,
                    label=f"width {w} (D = {sp_w.D:,})")  # fmt: skip
        ax2.semilogy(grid, sp_w.D * sp_w.density.density(torch.tensor(grid), sigma=0.05).numpy(),
                     color=color, label=f"width {w}")  # fmt: skip
    ax.legend()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    plotting.label(ax, "Top eigenvalues: the outliers stay", "index i (largest first)",
                   "λ_i (log scale)")  # fmt: skip
    ax2.set_ylim(1, None)
    ax2.legend()
    plotting.label(ax2, "The bulk grows with D (σ = 0.05)", "eigenvalue λ",
                   "D·ρ(λ): eigenvalues per unit λ")  # fmt: skip
    return fig


def fig_gauss_newton(parts: Mapping[str, Tensor], k: int, layers: Sequence[int], D: int) -> Figure:
    """The top ``k`` eigenvalues of H, of its Gauss–Newton part G and the largest and most
    negative of the residual R; ``parts`` maps "H", "G", "R" to eigenvalues (m,), largest first
    (``hs.gauss_newton_parts``); ``layers`` the MLP's widths, input first (chapter 02,
    section 5)."""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    i = np.arange(1, k + 1)
    ax.semilogy(i, parts["H"][:k], "o", ms=10, label="H (full Hessian)")
    ax.semilogy(i, parts["G"][:k], "x", ms=10, mew=2.5, label="G (Gauss–Newton)")
    ax.semilogy(i, parts["R"][:k], "s", ms=6, label="R (residual): largest λ")
    ax.semilogy(i, -parts["R"].flip(0)[:k], "^", ms=6, label="R (residual): |most negative λ|")
    ax.legend(loc="upper right", fontsize=11)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    plotting.label(ax, f"H = G + R on a {'-'.join(map(str, layers))} MLP (D = {D:,})",
                   "index i (largest first)", "|eigenvalue| (log scale)")  # fmt: skip
    return fig


def fig_n_eff(by_width: Mapping[int, tuple[Spectrum, float]], alpha: float) -> Figure:
    """MacKay's N_eff against the prior precision α (SLQ) for each width, with each D dotted and
    ``alpha`` marked; ``by_width`` as for :func:`fig_width` (chapter 02, section 6)."""
    alphas = torch.logspace(-5, 2, 29)
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for w, color in zip(by_width, SERIES, strict=True):
        sp_w, _ = by_width[w]
        ax.loglog(alphas, effective_parameters_slq(sp_w.density, alphas), color=color,
                  label=f"N_eff, width {w}")  # fmt: skip
        ax.axhline(sp_w.D, color=color, ls=":", lw=1.5)
    ax.axvline(alpha, color="k", ls="--", lw=1)
    ax.text(1.2 * alpha, 3, f"α = {alpha:g}", fontsize=12)
    ax.legend()
    plotting.label(ax, "Effective parameters N_eff(α); dotted: D", "prior precision α",
                   "N_eff (log scale)")  # fmt: skip
    return fig


def fig_evolution(
    steps: Sequence[int],
    sums: Sequence[SpectrumSummary],
    loss_at: Mapping[int, float],
    alpha: float,
    D: int,
    n_classes: int,
) -> Figure:
    """Against step + 1, one summary per checkpoint step: λ_max and the training loss
    ``loss_at[step]``; N_eff(``alpha``); the counts of eigenvalues above the summaries'
    threshold and of outliers, with ``n_classes`` (chapter 02, section 7)."""
    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    x = np.array(steps) + 1
    axes[0].loglog(x, [float(s.top[0]) for s in sums], "o-", label="λ_max")
    axes[0].loglog(x, [loss_at[s] for s in steps], "s--", label="training loss")
    axes[0].legend()
    plotting.label(axes[0], "Sharpness and loss", "step + 1", "value (log scale)")
    axes[1].semilogx(x, [s.n_eff for s in sums], "o-", color=GREEN)
    axes[1].set_ylim(0, None)
    plotting.label(axes[1], f"N_eff(α = {alpha:g}); D = {D:,}", "step + 1", "N_eff")
    axes[2].semilogx(x, [s.n_above for s in sums], "o-", color=VERMILION,
                     label=f"eigenvalues above λ = {sums[0].threshold:g}")  # fmt: skip
    axes[2].semilogx(x, [s.n_outliers for s in sums], "s--", color=BLUE, label="outliers")
    axes[2].axhline(n_classes, color="k", ls=":", lw=1.5, label="number of classes")
    axes[2].legend(fontsize=11)
    plotting.label(axes[2], "Sharp directions", "step + 1", "count")
    fig.tight_layout()
    return fig


def fig_checkpoint(steps: Sequence[int], sums: Sequence[SpectrumSummary], i: int) -> Figure:
    """Bar chart of the top eigenvalues at checkpoint ``i`` (of ``steps``, one summary each in
    ``sums``) on a log axis shared by all checkpoints, the threshold dashed and the outliers in
    orange (chapter 02, section 7)."""
    if len(steps) != len(sums) or not steps:
        raise ValueError("need one summary per checkpoint step, and at least one checkpoint")
    i = checks.integer(i, "i", min=0, max=len(steps) - 1)
    positive = [float(s.top[s.top > 0].min()) for s in sums if (s.top > 0).any()]
    ymin = min(positive) / 2 if positive else 1e-6
    ymax = max(float(s.top.max()) for s in sums) * 2
    s = sums[i]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colours = [VERMILION if j < s.n_outliers else BLUE for j in range(len(s.top))]
    ax.bar(np.arange(1, len(s.top) + 1), s.top.clamp(min=ymin).numpy(), color=colours)
    ax.axhline(s.threshold, color="k", ls="--", label=f"threshold λ = {s.threshold:g}")
    ax.set_yscale("log")
    ax.set_ylim(ymin, ymax)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper right")
    plotting.label(ax, f"step {steps[i]}: {s.n_outliers} outliers (orange), "
                   f"N_eff(α={s.alpha:g}) = {s.n_eff:.0f}, D = {s.dim:,}",
                   "eigenvalue index (largest first)", "eigenvalue λ")  # fmt: skip
    return fig


def explore_checkpoints(
    steps: Sequence[int], sums: Sequence[SpectrumSummary], name: str | None = None
) -> Any:
    """Widget: a slider over the checkpoints that redraws :func:`fig_checkpoint`; it starts at
    the last checkpoint, drawn (and saved as ``name``) at once (chapter 02, section 7)."""
    import ipywidgets

    fig_checkpoint(steps, sums, 0)  # validates the arguments now, not on the first slide
    plt.close("all")
    last = len(steps) - 1
    slider = ipywidgets.IntSlider(value=last, min=0, max=last, step=1, description="checkpoint")
    return plotting.explore(lambda i: fig_checkpoint(steps, sums, i), name=name, i=slider)
