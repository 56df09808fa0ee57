"""Figures and the interactive demo of chapter 04, built from the other geometry modules.

Each ``fig_*`` function takes precomputed numbers (the expensive part is cached in
``geometry.sweeps``) and returns a matplotlib Figure with a title and labelled axes.
:func:`well_spectrum` builds the "few stiff, many flat" Hessian spectra of chapter 02;
:func:`threshold_demo` is the chapter's widget (``plotting.explore``: it draws its starting
setting without interaction too).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dofcourse import checks, plotting
from dofcourse.geometry.statdim import statdim_l1
from dofcourse.geometry.sweeps import well_threshold


def fig_width_2d(n_dirs: int = 6) -> Figure:
    """The l1 ball in the plane with its support lines in a few directions: h_S(u) = max <u, x>
    (chapter 04)."""
    fig, ax = plt.subplots(figsize=(7, 7))
    diamond = np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]])
    ax.fill(diamond[:, 0], diamond[:, 1], alpha=0.25, label="S = unit ℓ1 ball")
    t = np.linspace(-4, 4, 2)
    for k, phi in enumerate(np.linspace(0.15, 2 * math.pi, n_dirs, endpoint=False)):
        u = np.array([math.cos(phi), math.sin(phi)])
        h = np.abs(u).max()  # support function of the l1 ball
        color = f"C{k % 6}"
        ax.annotate("", xy=u * 1.3, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": color})
        perp = np.array([-u[1], u[0]])
        line = h * u + t[:, None] * perp
        ax.plot(line[:, 0], line[:, 1], "--", color=color, lw=1.5)
        ax.text(*(u * 1.72), f"h={h:.2f}", color=color, ha="center", va="center", fontsize=12,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip
    ax.set_xlim(-2.2, 2.2)
    ax.set_ylim(-2.2, 2.2)
    ax.set_aspect("equal")
    ax.legend(loc="lower left")
    plotting.label(ax, r"Support lines: $h_S(u) = \max\ \langle u, x \rangle$ over $x \in S$",
                   "$x_1$", "$x_2$")  # fmt: skip
    return fig


def fig_cap_and_plane(alpha: float = 0.45) -> Figure:
    """A spherical cap around e_3 in R^3 and two planes through 0: one misses it, one meets it.

    A plane with unit normal n contains unit vectors at angle arccos(sqrt(1 - n_3^2)) from e_3 at
    best, so it meets the cap iff sqrt(1 - n_3^2) >= cos(alpha). Chapter 04.
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


def fig_estimates(rows: list[tuple], title: str, ylabel: str) -> Figure:
    """Monte Carlo estimates beside closed forms, one column per set (chapter 04).

    Each row is ``(name, estimate, lo, hi)``: a ``stats.Estimate`` (drawn as a dot with its
    interval) and the closed form, a value (``lo == hi``, a short black line) or an interval
    (a grey bar from ``lo`` to ``hi``, such as the ℓ1 descent cone's bounds).
    """
    fig, ax = plt.subplots(figsize=(10, 5.5))
    labelled: set[str] = set()

    def once(text: str) -> str | None:  # one legend entry per kind of mark
        return None if text in labelled or labelled.add(text) else text

    for i, (_, est, lo, hi) in enumerate(rows):
        if hi > lo:
            ax.bar(
                i - 0.17, hi - lo, 0.3, bottom=lo, color="0.6", label=once("closed form (interval)")
            )
        else:
            ax.hlines(lo, i - 0.32, i - 0.02, color="k", lw=3, label=once("closed form"))
        ax.errorbar(i + 0.17, est.value, yerr=[[est.value - est.lo], [est.hi - est.value]],
                    fmt="o", color="C0", capsize=7, ms=8,
                    label=once(f"Monte Carlo ± {round(100 * est.level)} % CI"))  # fmt: skip
    ax.set_xticks(np.arange(len(rows)), [r[0] for r in rows], rotation=12)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.set_ylim(0, 1.2 * max(max(r[3], r[1].hi) for r in rows))
    ax.legend(loc="upper left", ncols=3, fontsize=11)
    plotting.label(ax, title, "set", ylabel)
    return fig


def well_spectrum(D: int, n_stiff: int, flat: float, stiff: float = 1.0) -> np.ndarray:
    """Eigenvalues (D,): ``n_stiff`` equal to ``stiff``, the other D - n_stiff equal to ``flat``
    (chapter 02's "few stiff, many flat" spectrum, used in chapter 04)."""
    D = checks.integer(D, "D", min=1)
    n_stiff = checks.integer(n_stiff, "n_stiff", min=0, max=D)
    flat = checks.real(flat, "flat", min=0.0, open_min=True)
    stiff = checks.real(stiff, "stiff", min=0.0, open_min=True)
    return np.r_[np.full(n_stiff, float(stiff)), np.full(D - n_stiff, float(flat))]


def fig_threshold(r: dict, sparsity: int, eps: float, loss0: float) -> Figure:
    """The widget's figure: the quadratic well's success curve beside ``D − w²`` (left) and the
    ℓ1 recovery threshold δ(s) against the sparsity s (right). Chapter 04."""
    D = r["D"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.2))
    axes[0].plot(r["d"], r["p"], label="exact, random subspaces")
    axes[0].axvline(r["predicted"], color="C1", ls="--", label=f"$D - w^2$ = {r['predicted']:.1f}")
    axes[0].legend(loc="upper left", fontsize=12)
    axes[0].set_ylim(-0.03, 1.03)
    plotting.label(axes[0], f"Quadratic well, D = {D}: $L(\\theta_0)$ = {loss0:g}, "
                   f"$\\epsilon$ = {eps:.3g}", "training dimension $d$",
                   r"$P(\min_z L \leq \epsilon)$")  # fmt: skip
    s_grid = np.arange(1, D + 1)
    axes[1].plot(
        s_grid, [statdim_l1(D, int(s)).value for s in s_grid], label=r"$\delta$ of the ℓ1 cone"
    )
    m_star = statdim_l1(D, sparsity).value
    axes[1].axvline(sparsity, color="C1", ls="--", label=f"s = {sparsity}: m* ≈ {m_star:.1f}")
    axes[1].legend(loc="lower right", fontsize=12)
    plotting.label(axes[1], "ℓ1 recovery threshold", "sparsity $s$", "measurements needed $m$")
    fig.tight_layout()
    return fig


def threshold_demo(D: int = 100, n: int = 100, n_width: int = 500, name: str | None = None):
    """ipywidgets demo (``plotting.explore``): the number of stiff directions, the flat curvature,
    the target eps and the starting loss move the quadratic well's transition; the sparsity moves
    the ℓ1 threshold. Draws the starting setting at once; returns the panel. Chapter 04."""
    import ipywidgets as widgets

    def draw(n_stiff, log10_flat, log10_eps, loss0, sparsity):
        eps = min(10**log10_eps, 0.9 * loss0)  # a target below the start (else nothing to learn)
        lam = well_spectrum(D, n_stiff, 10**log10_flat)
        r = well_threshold.uncached(lam, loss0, eps, n=n, n_width=n_width)
        return fig_threshold(r, sparsity, eps, loss0)

    slider, fslider = widgets.IntSlider, widgets.FloatSlider
    return plotting.explore(
        draw,
        name=name,
        n_stiff=slider(value=max(1, D // 10), min=0, max=D, description="stiff dirs"),
        log10_flat=fslider(value=-1.5, min=-3, max=0, step=0.25, description="log10 flat"),
        log10_eps=fslider(value=-1.0, min=-3, max=-0.1, step=0.1, description="log10 eps"),
        loss0=fslider(value=1.0, min=0.5, max=5.0, step=0.5, description="L(theta0)"),
        sparsity=slider(value=max(1, D // 10), min=1, max=D, description="sparsity s"),
    )
