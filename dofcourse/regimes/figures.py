"""The figures of chapter 09: the alpha sweep, the implicit bias at one alpha, the kappa sweep.

Every curve over seeds is drawn as its median with a band from the smallest to the largest seed
(``plotting.band``), so a band shows the whole spread of the runs.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from dofcourse import plotting
from dofcourse.regimes.implicit_bias import implicit_bias
from dofcourse.regimes.interpolants import SparseProblem, min_l1_interpolant, min_l2_interpolant


def _spread(table: pd.DataFrame, x: str, y: str) -> tuple[np.ndarray, ...]:
    """x values and the median, min and max of y over the seeds at each x."""
    g = table.groupby(x)[y]
    med = g.median()
    return med.index.to_numpy(), med.to_numpy(), g.min().to_numpy(), g.max().to_numpy()


def fig_alpha_sweep(
    table: pd.DataFrame, q_alphas: np.ndarray, q_errors: np.ndarray, what: str
) -> Figure:
    """(a) recovery error vs alpha: GD, the closed-form Q_alpha minimiser (on the finer grid
    ``q_alphas``, errors (seeds, alphas)), the min-l2 interpolant; (b) distances of GD's beta
    from the two interpolants; (c) the relative distance moved. ``what`` names the problem."""
    n_seeds = table["problem_seed"].nunique()
    fig, (ax_e, ax_d, ax_m) = plt.subplots(1, 3, figsize=(19, 5.6))
    plotting.band(ax_e, *_spread(table, "alpha", "error"), label="gradient descent (stopped)")
    ax_e.plot(q_alphas, np.median(q_errors, axis=0), "k--", lw=1.5, label="closed form $Q_\\alpha$")
    ax_e.axhline(table["error_l2"].median(), color="C1", ls=":", label="min-$\\ell_2$ interpolant")
    # the min-l1 interpolant's error (~1e-28) is far below the axis: named in the legend instead
    note = f"min-$\\ell_1$ interpolant: error {table['error_l1'].max():.0e}"
    ax_e.plot([], [], " ", label=note)
    ax_e.set(xscale="log", yscale="log")
    ax_e.legend(loc="lower right", fontsize=11)
    plotting.label(
        ax_e,
        "(a) recovery error",
        "initial scale $\\alpha$",
        "$\\|\\hat\\beta - \\beta^*\\|^2$ (log)",
    )
    rel = table.assign(l1=table.dist_l1 / table.norm_star, l2=table.dist_l2 / table.norm_star)
    plotting.band(ax_d, *_spread(rel, "alpha", "l1"), label="from min-$\\ell_1$", color="C2")
    plotting.band(ax_d, *_spread(rel, "alpha", "l2"), label="from min-$\\ell_2$", color="C1")
    ax_d.set(xscale="log", yscale="log")
    ax_d.legend(loc="lower left")
    plotting.label(
        ax_d,
        "(b) where gradient descent ends",
        "initial scale $\\alpha$",
        "distance $/ \\|\\beta^*\\|$ (log)",
    )
    plotting.band(ax_m, *_spread(table, "alpha", "moved"), color="C3")
    ax_m.set(xscale="log", yscale="log")
    plotting.label(
        ax_m,
        "(c) how far the weights move",
        "initial scale $\\alpha$",
        "$\\|w_T - w_0\\| / \\|w_0\\|$ (log)",
    )
    fig.suptitle(f"Diagonal linear network, {what}: median and min–max over {n_seeds} problems")
    fig.tight_layout()
    return fig


def fig_bias(problem: SparseProblem, alpha: float) -> Figure:
    """The coordinates of beta*, of the min-l1 and min-l2 interpolants and of where gradient flow
    from scale ``alpha`` ends (the closed-form Q_alpha minimiser)."""
    l2 = min_l2_interpolant(problem.X, problem.y)
    q = implicit_bias(problem.X, problem.y, alpha)
    idx = np.arange(problem.d)
    fig, ax = plt.subplots(figsize=(12, 4.8))
    ax.plot(idx, l2, color="C1", lw=1, alpha=0.6, label="min-$\\ell_2$ interpolant")
    ax.plot(idx, q, "o-", color="C0", ms=4, lw=1.2, label=f"gradient flow, $\\alpha$ = {alpha:.3g}")
    support = np.flatnonzero(problem.beta_star)
    ax.plot(
        support,
        problem.beta_star[support],
        "kx",
        ms=12,
        mew=2.5,
        label="$\\beta^*$ (= min-$\\ell_1$ interpolant)",
    )
    assert np.allclose(min_l1_interpolant(problem.X, problem.y), problem.beta_star, atol=1e-6)
    ax.set_ylim(-1.6, 1.6)
    ax.legend(loc="lower right", ncols=3, fontsize=11)
    plotting.label(
        ax,
        f"Where training ends at $\\alpha$ = {alpha:.3g}: recovery error {problem.error(q):.2g}",
        "coordinate i",
        "$\\beta_i$",
    )
    return fig


def fig_kappa_sweep(table: pd.DataFrame, data_name: str) -> Figure:
    """(a) change of the tangent kernel, (b) distance moved, (c) accuracy, against kappa."""
    n_seeds = table["init_seed"].nunique()
    fig, (ax_k, ax_m, ax_a) = plt.subplots(1, 3, figsize=(19, 5.6))
    plotting.band(
        ax_k, *_spread(table, "kappa", "kernel_change"), label="$\\|K_T - K_0\\| / \\|K_0\\|$"
    )
    plotting.band(
        ax_k, *_spread(table, "kappa", "kernel_distance"), label="kernel distance (shape only)"
    )
    ax_k.set(xscale="log", yscale="log")
    ax_k.legend(loc="lower left")
    plotting.label(
        ax_k, "(a) change of the tangent kernel", "output scale $\\kappa$", "change (log)"
    )
    plotting.band(ax_m, *_spread(table, "kappa", "moved"), color="C3")
    ax_m.set(xscale="log", yscale="log")
    plotting.label(
        ax_m,
        "(b) how far the weights move",
        "output scale $\\kappa$",
        "$\\|\\theta_T - \\theta_0\\| / \\|\\theta_0\\|$ (log)",
    )
    plotting.band(ax_a, *_spread(table, "kappa", "train_acc"), label="train", color="C2")
    plotting.band(ax_a, *_spread(table, "kappa", "test_acc"), label="test", color="C4")
    ax_a.set(xscale="log", ylim=(0.9, 1.005))
    ax_a.legend(loc="lower left")
    plotting.label(ax_a, "(c) accuracy after training", "output scale $\\kappa$", "accuracy")
    fig.suptitle(
        f"Two-layer ReLU network on {data_name}: rich (small $\\kappa$) to lazy (large "
        f"$\\kappa$), median and min–max over {n_seeds} initialisations"
    )
    fig.tight_layout()
    return fig
