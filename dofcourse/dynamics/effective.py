"""Effective parameters along gradient descent, plain and sharpness-adjusted.

MacKay's (1992) count of the parameters the data determine (chapter 02),

    N_eff(α) = Σ_i λ_i / (λ_i + α),

compares curvatures λ_i with a *fixed* prior precision α. Along gradient descent at a large step
η the whole spectrum is set by the step: the sharpness λ_max is pushed to about 2/η (Cohen et al.
2021) and training settles in flatter regions, so N_eff(α) at one α measures, in part, the step
size. Wang and Roberts (2023, arXiv:2305.18490) propose a "sharpness adjusted number of
effective parameters" (SANE) that stays meaningful at large learning rates. Their exact formula
could not be checked against the paper for this course, so chapter 10 uses its *own* count in
that spirit, and names it so:

    N_adj(c) = Σ_i λ_i / (λ_i + c · λ_max) = N_eff(c · λ_max),

MacKay's count with the prior's precision measured in units of the current sharpness: the number
of directions whose curvature is within about a factor 1/c of the sharpest one. It does not
change when the whole spectrum is scaled, which is exactly what the step size does to it.

Both are traces of a function of H, estimated by stochastic Lanczos quadrature (chapter 02's
``hessian.slq``), with λ_max from Lanczos. Chapter 10.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from dofcourse import checks, experiment
from dofcourse import hessian as hs
from dofcourse.dynamics.sharpness import _train_split
from dofcourse.params import Functional


def adjusted_count(density: hs.SpectralDensity, lam_max: float, c: float) -> float:
    """The chapter's sharpness-adjusted count N_adj(c) = N_eff(c · λ_max) from an SLQ ``density``
    and the sharpness ``lam_max`` (> 0). Chapter 10."""
    lam_max = checks.real(lam_max, "lam_max", min=0.0, open_min=True)
    c = checks.real(c, "c", min=0.0, open_min=True)
    return float(hs.effective_parameters_slq(density, c * lam_max)[0])


@experiment.cached
def counts_along(
    model: torch.nn.Module,
    data: Any,
    thetas: Tensor,
    *,
    alpha: float,
    c: float,
    n_probes: int = 3,
    steps: int = 30,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """N_eff(``alpha``), N_adj(``c``) and λ_max at each of the points ``thetas`` (T, D) of the
    network ``model`` (its architecture; its parameters are not used) on ``data``'s training
    split; SLQ with ``n_probes`` probes of ``steps`` Lanczos steps, the same probes at every
    point. Returns arrays (T,) under "n_eff", "n_adj", "lam_max". Cached. Chapter 10."""
    alpha = checks.real(alpha, "alpha", min=0.0, open_min=True)
    c = checks.real(c, "c", min=0.0, open_min=True)
    n_probes = checks.integer(n_probes, "n_probes", min=1)
    steps = checks.integer(steps, "steps", min=2)
    net = Functional.of_module(model)
    x, y = _train_split(net, net.theta0, data)
    thetas = checks.tensor(thetas, "thetas", ndim=2, floating=True, finite=True)
    if thetas.shape[1] != net.D:
        raise ValueError(f"thetas must have shape (T, {net.D}), got {tuple(thetas.shape)}")
    out: dict[str, list[float]] = {"n_eff": [], "n_adj": [], "lam_max": []}
    for theta in thetas.to(net.device, net.dtype):
        here = Functional(net.fn, theta, net.layout, net.convolutional)
        op = hs.HessianOperator.of_functional(here, (x, y), method="reverse")
        dens = hs.slq(op, n_probes, steps, probe_seed=1000)
        lam_max = float(hs.lanczos_eigs(op, 1, steps)[0][0])
        out["n_eff"].append(float(hs.effective_parameters_slq(dens, alpha)[0]))
        out["n_adj"].append(adjusted_count(dens, lam_max, c))
        out["lam_max"].append(lam_max)
    return {key: np.array(v) for key, v in out.items()}


def relative_spread(values: Any) -> float:
    """(max − min) / mean of positive ``values``: how much a count varies across runs, free of
    its units, so that two counts of different sizes can be compared. Chapter 10."""
    v = checks.array(values, "values", ndim=1)
    if v.size < 2 or bool((v <= 0).any()):
        raise ValueError(f"need at least 2 positive values, got {v.tolist()}")
    return float((v.max() - v.min()) / v.mean())
