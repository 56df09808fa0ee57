"""How the spectrum changes during training: a summary per checkpoint.

:func:`summarize` reduces a Hessian to a few numbers (top eigenvalues, outliers, N_eff, a count
above a threshold); :func:`summaries` does it for every checkpoint of a training run (cached).
The figure of one checkpoint and the slider over them are in ``hessian.figures``
(``fig_checkpoint``, ``explore_checkpoints``). Taught in chapter 02.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from dofcourse import checks, experiment
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
