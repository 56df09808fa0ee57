"""How the spectrum changes during training: a summary per checkpoint, a figure and a slider.

:func:`summarize` reduces a Hessian to a few numbers (top eigenvalues, outliers, N_eff, a count
above a threshold); :func:`summaries` does it for every checkpoint of a training run (cached).
:func:`checkpoint_figure` draws one checkpoint and :func:`checkpoint_scrubber` is the widget that
redraws it as a slider moves. The course's widget convention: the widget calls the same figure
function, and the chapter draws that function's figure once without the widget as well, so an
executed notebook (a test run, a static page) shows it. Taught in chapter 02.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from dofcourse import checks, experiment, plotting
from dofcourse.hessian.classifiers import classifier
from dofcourse.hessian.density import slq
from dofcourse.hessian.lanczos import lanczos_eigs
from dofcourse.hessian.operator import HessianOperator, hessian_operator
from dofcourse.hessian.outliers import count_outliers, effective_parameters_slq


@dataclass
class SpectrumSummary:
    """At one point: the top eigenvalues ``top`` (k,) (Lanczos), N_eff at ``alpha`` (SLQ), the
    number ``n_above`` of top eigenvalues above ``threshold``, the outlier count, and D (``dim``).
    Chapter 02.
    """

    top: Tensor
    n_eff: float
    n_above: int
    alpha: float
    threshold: float
    dim: int
    n_outliers: int = 0


def summarize(
    op: HessianOperator,
    *,
    k: int = 20,
    steps: int = 60,
    alpha: float = 1e-2,
    threshold: float = 1e-1,
    n_probes: int = 4,
    start_seed: int = 0,
) -> SpectrumSummary:
    """Top-k eigenvalues, N_eff(α) by SLQ, the count above ``threshold`` and the outliers
    (``count_outliers``, k ≥ 10) of ``op``. Counts saturate at k: choose k larger than the counts
    expected. Chapter 02."""
    alpha = checks.real(alpha, "alpha", min=0.0, open_min=True)
    threshold = checks.real(threshold, "threshold")
    start_seed = checks.integer(start_seed, "start_seed", min=0, max=checks.MAX_SEED - 2000)
    top, _ = lanczos_eigs(op, k, steps, start_seed=start_seed)
    dens = slq(op, n_probes, steps, probe_seed=start_seed + 1000)
    n_eff = float(effective_parameters_slq(dens, alpha)[0])
    top = top.cpu()
    return SpectrumSummary(
        top, n_eff, int((top > threshold).sum()), alpha, threshold, op.dim, count_outliers(top)
    )


@experiment.cached
def summaries(
    data: Any,
    hidden: tuple[int, ...],
    checkpoints: Mapping[int, Tensor],
    *,
    k: int = 30,
    steps: int = 50,
    alpha: float = 1e-2,
    threshold: float = 1.0,
    n_probes: int = 4,
) -> list[SpectrumSummary]:
    """A :func:`summarize` per checkpoint {step: theta} of an MLP of widths ``hidden`` on ``data``
    (cached), in increasing step order. Chapter 02."""
    if not isinstance(checkpoints, Mapping) or not checkpoints:
        raise TypeError(f"checkpoints must be a non-empty mapping {{step: theta}}, got "
                        f"{type(checkpoints).__name__}")  # fmt: skip
    hidden = tuple(checks.integers(hidden, "hidden", min=1))
    out = []
    for step in sorted(checkpoints):
        model = classifier(data, hidden, checkpoints[step])
        op = hessian_operator(model, data)
        out.append(summarize(op, k=k, steps=steps, alpha=alpha, threshold=threshold,
                             n_probes=n_probes))  # fmt: skip
    return out


def checkpoint_figure(steps: Sequence[int], sums: Sequence[SpectrumSummary], i: int) -> Figure:
    """Bar chart of the top eigenvalues at checkpoint ``i`` on a log axis shared by all
    checkpoints, the threshold dashed and the outliers in orange. Chapter 02."""
    if len(steps) != len(sums) or not steps:
        raise ValueError("need one summary per checkpoint step, and at least one checkpoint")
    i = checks.integer(i, "i", min=0, max=len(steps) - 1)
    positive = [float(s.top[s.top > 0].min()) for s in sums if (s.top > 0).any()]
    ymin = min(positive) / 2 if positive else 1e-6
    ymax = max(float(s.top.max()) for s in sums) * 2
    s = sums[i]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    colours = ["#D55E00" if j < s.n_outliers else "#0072B2" for j in range(len(s.top))]
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


def checkpoint_scrubber(steps: Sequence[int], sums: Sequence[SpectrumSummary]) -> Any:
    """An ipywidgets slider over the checkpoints that redraws :func:`checkpoint_figure`.

    Returns the widget without displaying it (``display(widget)`` in the notebook); it draws
    only when shown in a live notebook, so the chapter also draws one figure directly.
    Chapter 02.
    """
    import ipywidgets as widgets

    checkpoint_figure(steps, sums, 0)  # validates the arguments now, not on the first slide
    plt.close("all")

    def show(i: int) -> None:
        checkpoint_figure(steps, sums, i)
        plt.show()

    slider = widgets.IntSlider(value=len(steps) - 1, min=0, max=len(steps) - 1, step=1,
                               description="checkpoint", continuous_update=False)  # fmt: skip
    return widgets.interactive(show, i=slider)
