"""One readable figure style, and helpers for the plots the course draws again and again.

Fonts are large enough to read from the back of a lecture room; every figure is meant to be given
a title and labelled axes (:func:`label`) and saved as a PNG (:func:`save`) so that it can be
looked at outside the notebook.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dofcourse import config

STYLE = {
    "figure.figsize": (8.0, 5.0),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "font.size": 14,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "legend.fontsize": 12,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(
        color=["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    ),  # Okabe–Ito: readable by colour-blind students and on washed-out projectors
}


def use_style() -> None:
    """Apply the course style to all following matplotlib figures."""
    mpl.rcParams.update(STYLE)


def _np(x: object) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def band(
    ax: Axes,
    x: object,
    mean: object,
    lo: object,
    hi: object,
    label: str | None = None,
    color: str | None = None,
) -> None:
    """A line at ``mean`` with a shaded band from ``lo`` to ``hi`` (all of shape ``(len(x),)``)."""
    (line,) = ax.plot(_np(x), _np(mean), label=label, color=color, marker="o")
    ax.fill_between(_np(x), _np(lo), _np(hi), color=line.get_color(), alpha=0.2, linewidth=0)


def mean_band(
    ax: Axes, x: object, samples: object, label: str | None = None, color: str | None = None
) -> None:
    """Mean over runs ± one standard error; ``samples`` has shape ``(n_runs, len(x))``."""
    s = _np(samples).astype(float)
    if s.ndim != 2 or s.shape[1] != len(_np(x)):
        raise ValueError(f"samples must have shape (n_runs, {len(_np(x))}), got {s.shape}")
    mean = s.mean(axis=0)
    se = s.std(axis=0, ddof=1) / np.sqrt(s.shape[0]) if s.shape[0] > 1 else np.zeros_like(mean)
    band(ax, x, mean, mean - se, mean + se, label=label, color=color)


def label(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    """Give ``ax`` its title and axis labels (every course figure has all three)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def save(fig: Figure, name: str) -> Path:
    """Save ``fig`` as ``<figure_dir>/<name>.png`` and return the path."""
    path = config.figure_dir() / f"{name}.png"
    fig.savefig(path)
    return path
