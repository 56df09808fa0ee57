"""Figures and the interactive demo of chapter 04, built from the other geometry modules.

Each ``fig_*`` function takes precomputed numbers (so the notebook can cache the expensive part)
and returns a matplotlib Figure with a title and labelled axes. :func:`well_spectrum` builds the
"few stiff, many flat" Hessian spectra of chapter 02; :func:`threshold_demo` is the ipywidgets
demo (it also runs headless: ``interact`` draws once with the default values).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dofcourse import plotting
from dofcourse.geometry.statdim import statdim_l1
from dofcourse.geometry.well import QuadraticWell, sublevel_cone, success_curve
from dofcourse.geometry.widths import gaussian_width


def fig_width_2d(n_dirs: int = 6) -> Figure:
    """The l1 ball in the plane with its support lines in a few directions: h_S(u) = max <u, x>."""
    fig, ax = plt.subplots(figsize=(6.5, 6.5))
    diamond = np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]])
    ax.fill(diamond[:, 0], diamond[:, 1], alpha=0.25, label="S = unit l1 ball")
    t = np.linspace(-2, 2, 2)
    for k, phi in enumerate(np.linspace(0.15, 2 * math.pi, n_dirs, endpoint=False)):
        u = np.array([math.cos(phi), math.sin(phi)])
        h = np.abs(u).max()  # support function of the l1 ball
        color = f"C{k % 6}"
        ax.annotate("", xy=u * 1.45, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": color})
        perp = np.array([-u[1], u[0]])
        line = h * u + t[:, None] * perp
        ax.plot(line[:, 0], line[:, 1], "--", color=color, lw=1.5)
        ax.text(*(u * 1.6), f"h={h:.2f}", color=color, ha="center", va="center", fontsize=11)
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.legend(loc="lower left")
    plotting.label(ax, "Support lines of S: h_S(u) = max over S of <u, x>", "x_1", "x_2")
    return fig


def fig_cap_and_plane(alpha: float = 0.45) -> Figure:
    """A spherical cap around e_3 in R^3 and two planes through 0: one misses it, one meets it.

    A plane with unit normal n contains unit vectors at angle arccos(sqrt(1 - n_3^2)) from e_3 at
    best, so it meets the cap iff sqrt(1 - n_3^2) >= cos(alpha).
    """
    fig = plt.figure(figsize=(11, 5.5))
    normals = [np.array([0.35, 0.0, 1.0]), np.array([1.0, 0.4, 0.15])]
    for i, normal in enumerate(normals):
        normal = normal / np.linalg.norm(normal)
        hits = math.sqrt(1 - normal[2] ** 2) >= math.cos(alpha)
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        u, v = np.meshgrid(np.linspace(0, 2 * math.pi, 40), np.linspace(0, math.pi, 20))
        ax.plot_wireframe(
            np.cos(u) * np.sin(v),
            np.sin(u) * np.sin(v),
            np.cos(v),
            color="grey",
            alpha=0.15,
            lw=0.5,
        )
        uc, vc = np.meshgrid(np.linspace(0, 2 * math.pi, 40), np.linspace(0, alpha, 8))
        ax.plot_surface(
            np.cos(uc) * np.sin(vc), np.sin(uc) * np.sin(vc), np.cos(vc), color="C1", alpha=0.9
        )
        basis = np.linalg.svd(normal[None, :])[2][1:]
        s, t = np.meshgrid(np.linspace(-1.2, 1.2, 2), np.linspace(-1.2, 1.2, 2))
        pts = s[..., None] * basis[0] + t[..., None] * basis[1]
        ax.plot_surface(pts[..., 0], pts[..., 1], pts[..., 2], color="C0", alpha=0.45)
        ax.set_title("this plane meets the cap" if hits else "this plane misses the cap")
        for setter in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
            setter(-1.2, 1.2)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_zlabel("z")
        ax.set_box_aspect((1, 1, 1))
        ax.view_init(elev=8, azim=-60)
    fig.suptitle(f"2-D subspaces of R^3 and a cap of half-angle {alpha:.2f} rad (orange)")
    return fig


def fig_estimates(rows: list[tuple[str, float, float, float]], title: str, ylabel: str) -> Figure:
    """Monte Carlo estimates (mean, 95 % CI half-width) beside closed forms, one row per set."""
    fig, ax = plt.subplots(figsize=(9, 5))
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r[3] for r in rows], 0.4, label="closed form", color="C2")
    ax.bar(
        x + 0.2,
        [r[1] for r in rows],
        0.4,
        yerr=[r[2] for r in rows],
        capsize=6,
        label="Monte Carlo ± 95 % CI",
        color="C0",
    )
    ax.set_xticks(x, [r[0] for r in rows], rotation=15)
    ax.legend()
    plotting.label(ax, title, "set", ylabel)
    return fig


def well_spectrum(D: int, n_stiff: int, flat: float, stiff: float = 1.0) -> np.ndarray:
    """Eigenvalues: ``n_stiff`` equal to ``stiff``, the other D - n_stiff equal to ``flat``."""
    if not 0 <= n_stiff <= D:
        raise ValueError(f"n_stiff must lie between 0 and D={D}, got {n_stiff}")
    if flat <= 0 or stiff <= 0:
        raise ValueError("eigenvalues must be positive")
    return np.r_[np.full(n_stiff, float(stiff)), np.full(D - n_stiff, float(flat))]


def well_threshold(
    lam: np.ndarray, loss0: float, eps: float, n: int, n_width: int, seed: int = 0
) -> dict:
    """Exact success curve, its 50 % threshold and 10-90 % width, and the width prediction."""
    well = QuadraticWell.from_spectrum(lam)
    theta0 = well.start_at_loss(loss0, seed=seed)
    curve = success_curve(well, theta0, eps, n=n, seed=seed)
    cone = sublevel_cone(well, theta0, eps)
    w = gaussian_width(well.D, support=cone.sphere_support, n=n_width, seed=seed + 1)
    return {
        "d": curve.d,
        "p": curve.p,
        "threshold": curve.threshold(),
        "width": curve.width(),
        "w": w.mean,
        "w_se": w.stderr,
        "predicted": well.D - w.mean**2,
        "D": well.D,
    }


def threshold_demo(D: int = 100, n: int = 100, n_width: int = 500):
    """ipywidgets demo: spectrum (stiff dirs, flat curvature), eps, start loss -> transition."""
    import ipywidgets as widgets

    def draw(n_stiff=10, log10_flat=-1.5, log10_eps=-1.0, loss0=1.0, sparsity=10):
        lam = well_spectrum(D, n_stiff, 10**log10_flat)
        if 10**log10_eps >= loss0:
            print("choose eps below the starting loss")
            return
        r = well_threshold(lam, loss0, 10**log10_eps, n=n, n_width=n_width)
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
        axes[0].plot(r["d"], r["p"], label="exact minimum, random subspaces")
        axes[0].axvline(r["predicted"], color="C1", ls="--", label="D - w^2")
        axes[0].legend(loc="lower right")
        plotting.label(axes[0], f"Quadratic well, D={D}", "training dimension d", "P(L <= eps)")
        s_grid = np.arange(1, D + 1)
        axes[1].plot(s_grid, [statdim_l1(D, int(s)).value for s in s_grid], label="delta(l1 cone)")
        axes[1].axvline(
            sparsity,
            color="C1",
            ls="--",
            label=f"s={sparsity}: m* = {statdim_l1(D, sparsity).value:.1f}",
        )
        axes[1].legend(loc="lower right")
        plotting.label(axes[1], "l1 recovery threshold", "sparsity s", "measurements needed")
        plt.show()

    slider, fslider = widgets.IntSlider, widgets.FloatSlider
    return widgets.interact(
        draw,
        n_stiff=slider(value=10, min=0, max=D, description="stiff dirs"),
        log10_flat=fslider(value=-1.5, min=-3, max=0, step=0.25, description="log10 flat"),
        log10_eps=fslider(value=-1.0, min=-3, max=-0.1, step=0.1, description="log10 eps"),
        loss0=fslider(value=1.0, min=0.5, max=5.0, step=0.5, description="L(theta0)"),
        sparsity=slider(value=10, min=1, max=D, description="sparsity s"),
    )
