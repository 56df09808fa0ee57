"""One readable figure style, the plots the course draws again and again, and its one widget.

Fonts are large enough to read from the back of a lecture room; every figure is given a title and
labelled axes (:func:`label`) and saved as a PNG (:func:`save`) so that it can be looked at
outside the notebook. Interactive figures follow one convention, :func:`explore`: controls that
redraw a figure, which is also drawn once, at the controls' starting values, without any
interaction, so an executed notebook (the tests, a static site, slides) shows it. Every chapter
uses the style; chapter 00 introduces it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
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
    """Apply the course style to all following matplotlib figures (every chapter's first cell)."""
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
    """A line at ``mean`` with a shaded band from ``lo`` to ``hi`` (all of shape ``(len(x),)``);
    chapters 03 and 05 draw accuracy and success curves with it."""
    (line,) = ax.plot(_np(x), _np(mean), label=label, color=color, marker="o")
    ax.fill_between(_np(x), _np(lo), _np(hi), color=line.get_color(), alpha=0.2, linewidth=0)


def mean_band(
    ax: Axes, x: object, samples: object, label: str | None = None, color: str | None = None
) -> None:
    """Mean over runs ± one standard error; ``samples`` has shape ``(n_runs, len(x))``
    (chapter 03: accuracy against d over projection seeds)."""
    s = _np(samples).astype(float)
    if s.ndim != 2 or s.shape[1] != len(_np(x)):
        raise ValueError(f"samples must have shape (n_runs, {len(_np(x))}), got {s.shape}")
    mean = s.mean(axis=0)
    se = s.std(axis=0, ddof=1) / np.sqrt(s.shape[0]) if s.shape[0] > 1 else np.zeros_like(mean)
    band(ax, x, mean, mean - se, mean + se, label=label, color=color)


def label(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    """Give ``ax`` its title and axis labels (every course figure has all three; chapter 00)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def save(fig: Figure, name: str) -> Path:
    """Save ``fig`` as ``<figure_dir>/<name>.png`` and return the path (every chapter; look at
    each one: ``build/figures/`` by default)."""
    path = config.figure_dir() / f"{name}.png"
    fig.savefig(path)
    return path


def _readout_format(widget: Any) -> None:
    """A float slider shows as many decimals as its step has (0.995 reads 0.995, not 0.99)."""
    import ipywidgets

    if isinstance(widget, ipywidgets.FloatSlider | ipywidgets.FloatRangeSlider) and widget.step:
        decimals = max(1, -int(np.floor(np.log10(widget.step))))
        while decimals < 6 and float(f"{widget.step:.{decimals}f}") != widget.step:
            decimals += 1
        widget.readout_format = f".{decimals}f"


def explore(draw: Callable[..., Figure], name: str | None = None, **controls: Any) -> Any:
    """The course's widget: ``controls`` (ipywidgets, by keyword) that redraw ``draw(**values)``.

    ``draw`` returns a Figure for the controls' values. It is drawn once at once, at the starting
    values, into the cell's output (and saved as ``name`` when given), so the figure is there in
    an executed notebook and on a page without a kernel. A change of a control redraws that same
    figure in place (one figure, never a second one below); sliders redraw once when they are
    released, not at every step of a drag, and a float slider's readout shows the decimals of its
    step. Returns the controls' panel (an ``ipywidgets.VBox``; Jupyter shows it when it is the
    cell's last value) with the first figure as ``.figure``. Chapters 00 and 04 to 10, A1.
    """
    import ipywidgets
    from IPython.display import display

    if not controls:
        raise ValueError("explore needs at least one control (an ipywidgets slider, by keyword)")
    bad = [k for k, w in controls.items() if not isinstance(w, ipywidgets.ValueWidget)]
    if bad:
        raise TypeError(f"controls {bad} must be ipywidgets value widgets (e.g. IntSlider)")

    def values() -> dict[str, Any]:
        return {k: w.value for k, w in controls.items()}

    first = draw(**values())
    if not isinstance(first, Figure):
        raise TypeError(f"draw must return a matplotlib Figure, got {type(first).__name__}")
    if name is not None:
        save(first, name)
    figure = display(first, display_id=True)
    plt.close(first)
    drawn = [values()]

    def redraw(_change: Any = None) -> None:
        now = values()
        if now == drawn[0]:  # a control sent back the value it had: the figure is up to date
            return
        drawn[0] = now
        fig = draw(**now)
        if figure is not None:
            figure.update(fig)
        plt.close(fig)

    for w in controls.values():
        if hasattr(w, "continuous_update"):
            w.continuous_update = False
        _readout_format(w)
        w.observe(redraw, names="value")
    note = ipywidgets.HTML("<i>Move a control: the figure above redraws for its values.</i>")
    panel = ipywidgets.VBox([note, *controls.values()])
    panel.figure = first
    return panel
