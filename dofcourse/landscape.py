"""Looking at a loss landscape: the loss along 1-D and 2-D slices through a point.

A landscape in ``P`` dimensions cannot be drawn, but its restriction to a line
``theta + a u`` or a plane ``theta + a u + b w`` can. Which directions one slices along decides
what one sees: random directions (filter-normalised as in Li et al. 2018, so that every neuron is
perturbed in proportion to its own size) show the typical neighbourhood; Hessian eigenvectors show
the extremes: the escape direction at a saddle, the flattest non-symmetry direction at a minimum.

All functions take a loss as a function of a flat parameter vector ``theta (P,)`` (see
:func:`dofcourse.quadratic.flat_loss`) and evaluate whole grids in one ``vmap`` call.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from torch import Tensor
from torch.func import vmap

from dofcourse import plotting
from dofcourse import quadratic as q
from dofcourse.device import single_thread

LossFn = Callable[[Tensor], Tensor]


def random_direction(params: q.Params, *, seed: int = 0, filter_normalize: bool = True) -> Tensor:
    """A Gaussian direction ``(P,)`` in the flat parameter space of one net ``params``.

    With ``filter_normalize`` each *filter* of the direction (a row of a weight matrix: one
    neuron's input weights; one entry of a vector: one output weight) is rescaled to the norm of
    the same filter in ``params``, so that the slice perturbs every neuron in proportion to its
    size; a rescaling symmetry can otherwise make one direction look arbitrarily sharp or flat.
    """
    g = torch.Generator().manual_seed(seed)
    parts = []
    for p in params:
        u = torch.randn(p.shape, generator=g, dtype=p.dtype)
        if filter_normalize:
            rows_u = u.reshape(p.shape[0], -1) if p.ndim >= 2 else u.reshape(-1, 1)
            rows_p = p.reshape(p.shape[0], -1) if p.ndim >= 2 else p.reshape(-1, 1)
            scale = rows_p.norm(dim=1, keepdim=True) / rows_u.norm(dim=1, keepdim=True)
            u = (rows_u * scale).reshape(p.shape)
        parts.append(u.reshape(-1))
    return torch.cat(parts)


def hessian_directions(
    h: Tensor, k: int = 2, *, which: str = "smallest", exclude: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The ``k`` extreme eigenpairs of a symmetric ``h (P, P)``: eigenvalues ``(k,)`` and unit
    eigenvectors ``(P, k)``, ``which`` is ``"smallest"`` or ``"largest"``.

    ``exclude`` (an orthonormal ``(P, r)`` basis, e.g. the symmetry directions of
    :func:`dofcourse.quadratic.symmetry_directions`) restricts ``h`` to the orthogonal complement
    first, so exact flat directions that carry no information are not returned.
    """
    if which not in ("smallest", "largest"):
        raise ValueError(f"which must be 'smallest' or 'largest', got {which!r}")
    p = h.shape[0]
    if h.shape != (p, p):
        raise ValueError(f"h must be square, got {tuple(h.shape)}")
    basis = torch.eye(p, dtype=h.dtype)
    if exclude is not None and exclude.shape[1] > 0:
        qm, _ = torch.linalg.qr(torch.cat([exclude, basis], dim=1))
        basis = qm[:, exclude.shape[1] : p]
    if not 1 <= k <= basis.shape[1]:
        raise ValueError(f"k must be between 1 and {basis.shape[1]}, got {k}")
    evals, evecs = torch.linalg.eigh(basis.T @ h @ basis)
    idx = (
        torch.arange(k)
        if which == "smallest"
        else torch.arange(len(evals) - 1, len(evals) - k - 1, -1)
    )
    return evals[idx], basis @ evecs[:, idx]


def _check_direction(theta: Tensor, *dirs: Tensor) -> None:
    for u in dirs:
        if u.shape != theta.shape:
            raise ValueError(
                f"direction shape {tuple(u.shape)} != parameter shape {tuple(theta.shape)}"
            )


def slice_1d(loss_fn: LossFn, theta: Tensor, direction: Tensor, alphas: Tensor) -> Tensor:
    """``loss(theta + a * direction)`` for every ``a`` in ``alphas (K,)`` → ``(K,)``."""
    _check_direction(theta, direction)
    return vmap(lambda a: loss_fn(theta + a * direction))(alphas.to(theta.dtype))


def slice_2d(
    loss_fn: LossFn, theta: Tensor, u: Tensor, w: Tensor, alphas: Tensor, betas: Tensor
) -> Tensor:
    """``loss(theta + a u + b w)`` on the grid ``alphas (K,) x betas (L,)`` → ``(K, L)``."""
    _check_direction(theta, u, w)
    a, b = torch.meshgrid(alphas.to(theta.dtype), betas.to(theta.dtype), indexing="ij")
    values = vmap(lambda s, t: loss_fn(theta + s * u + t * w))(a.reshape(-1), b.reshape(-1))
    return values.reshape(a.shape)


def plot_slice_1d(ax: Axes, alphas: Tensor, values: Tensor, label: str | None = None) -> None:
    """Draw a 1-D slice on a log scale (losses near a minimum span many decades)."""
    ax.semilogy(np.asarray(alphas), np.asarray(values.clamp_min(1e-16)), label=label)


def plot_slice_2d(ax: Axes, alphas: Tensor, betas: Tensor, values: Tensor) -> None:
    """Filled contours of a 2-D slice with logarithmic levels, the centre marked by a star."""
    z = np.asarray(values.clamp_min(1e-8))
    levels = np.logspace(np.log10(z.min()), np.log10(z.max()), 16)
    cs = ax.contourf(
        np.asarray(alphas), np.asarray(betas), z.T, levels=levels, norm=LogNorm(), cmap="viridis"
    )
    ax.figure.colorbar(cs, ax=ax, label="loss", format="%.2g", ticks=levels[::3])
    ax.plot([0], [0], marker="*", color="white", markersize=14, markeredgecolor="black")


# ----------------------------------------------------------------------------- widget
def explore(
    m: int,
    rank: int,
    *,
    d: int = 5,
    n: int = 50,
    n_seeds: int = 16,
    steps: int = 1500,
    lr: float = 0.02,
    seed: int = 0,
) -> tuple[Figure, q.EndPoints]:
    """Train ``n_seeds`` shallow nets of width ``m`` on a rank-``rank`` teacher and draw them
    (:func:`dofcourse.quadratic.fit_shallow`: undecided runs get up to two more rounds).

    Left: how the end points split into global minima, still-descending runs, spurious minima and
    saddles. Right: a 2-D slice around the worst end point along its two flattest non-symmetry
    Hessian directions. Returns the figure and the classified end points.
    """
    with single_thread():
        return _explore(m, rank, d, n, n_seeds, steps, lr, seed)


def _explore(
    m: int, rank: int, d: int, n: int, n_seeds: int, steps: int, lr: float, seed: int
) -> tuple[Figure, q.EndPoints]:
    """The body of :func:`explore`."""
    prob = q.planted_problem(d, n, rank, seed=seed)
    fit = q.fit_shallow(prob, m, n_seeds=n_seeds, steps=steps, lr=lr, seed=seed + 1)
    params, ends = fit.params, fit.ends
    worst = int(torch.argmax(ends.loss))
    one = q.select(params, worst)
    loss_fn = q.flat_loss(q.shallow_forward, one, prob.x, prob.y)
    h = q.exact_hessian(q.shallow_forward, one, prob.x, prob.y)
    _, dirs = hessian_directions(h, 2, exclude=q.symmetry_directions(one))
    grid = torch.linspace(-0.6, 0.6, 31, dtype=q.DTYPE)
    values = slice_2d(loss_fn, q.flatten(one), dirs[:, 0], dirs[:, 1], grid, grid)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    counts = ends.counts()
    ax1.bar(
        range(len(counts)),
        [c / n_seeds for c in counts.values()],
        color=["#009E73", "#56B4E9", "#D55E00", "#CC79A7"],
    )
    ax1.set_xticks(range(len(counts)), [lab.replace(" ", "\n") for lab in counts], fontsize=11)
    ax1.set_ylim(0, 1)
    plotting.label(
        ax1, f"width m={m}, teacher rank {rank}, d={d}", "end point", "fraction of seeds"
    )
    plot_slice_2d(ax2, grid, grid, values)
    plotting.label(
        ax2,
        f"worst end point (loss {float(ends.loss[worst]):.2g})",
        "flattest Hessian direction",
        "second flattest",
    )
    fig.tight_layout()
    return fig, ends


def explorer(d: int = 5, n: int = 50, **kwargs: int | float) -> ipywidgets.Widget:
    """An ipywidgets demo: sliders for the width ``m`` and the teacher's rank and a *train* button;
    each click trains a small ensemble with :func:`explore` (a few seconds on a CPU) and draws it.

    Nothing is trained until the button is pressed, so building and displaying the widget is
    instant and safe headless (in a test or ``nbconvert`` run); call :func:`explore` directly for
    the figure a script needs.
    """

    def show(m: int, rank: int) -> None:
        fig, _ = explore(m, min(rank, d), d=d, n=n, **kwargs)
        plt.show()
        plt.close(fig)

    return ipywidgets.interactive(
        show,
        {"manual": True, "manual_name": "train"},
        m=ipywidgets.IntSlider(value=d, min=1, max=2 * d + 2, description="width m"),
        rank=ipywidgets.IntSlider(value=d, min=1, max=d, description="teacher rank"),
    )
