"""The quadratic-well model of a trained network, and the threshold it predicts (chapter 05).

At the end point theta* of ordinary training the loss is modelled as the quadratic well

    L(theta) ~ L* + 1/2 (theta - theta*)^T H (theta - theta*),

with H the Hessian at theta* as chapter 02 measures it: the top-k eigenpairs by Lanczos (the
outliers, exactly) and the rest of the spectrum by stochastic Lanczos quadrature, binned into
levels (:func:`bulk_levels`). An anchor theta_t sits at c = theta_t - theta*, R = ||c||; its
energy along each top eigenvector is measured, the rest of ||c||^2 is spread over the bulk in
proportion to the multiplicities (the model's one assumption about direction; the exact
c^T H c from a Hessian-vector product is kept to check it). ``phase.statdim`` then gives the
statistical dimension of the sublevel cone for each loss target, and the predicted threshold
d* = D - delta (:func:`predicted_thresholds`). Negative curvature at theta* (training did not end
exactly at a minimum) cannot be held by a well: those directions are counted as flat.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from dofcourse import checks, experiment, hessian, train
from dofcourse.ensemble import evaluate_members
from dofcourse.params import Functional, flatten, load_into
from dofcourse.phase.statdim import sublevel_statdim
from dofcourse.phase.success import _targets

WELL_KEYS = ("top", "levels", "mult", "D", "loss_star", "t", "top_energy", "r2", "quad",
             "loss_anchor")  # fmt: skip


def bulk_levels(
    nodes: np.ndarray, weights: np.ndarray, below: float, total: float, bins: int = 40
) -> tuple[np.ndarray, np.ndarray]:
    """(levels, multiplicities) of an SLQ spectral measure restricted to eigenvalues < ``below``,
    scaled to ``total`` eigenvalues: log-spaced bins of the positive nodes (level = the bin's
    weighted mean, bins of multiplicity < 1 merged upward) and one flat level 0 holding the
    non-positive nodes. ``nodes``, ``weights`` (n_probes, m) as ``hessian.slq`` returns them."""
    x = checks.array(nodes, "nodes", ndim=(1, 2))
    w = checks.array(weights, "weights", ndim=(1, 2))
    if x.shape != w.shape:
        raise ValueError(f"nodes {x.shape} and weights {w.shape} must have one shape")
    if (w < 0).any():
        raise ValueError("weights must be >= 0")
    below = checks.real(below, "below", min=0.0, open_min=True)
    total = checks.real(total, "total", min=0.0, open_min=True)
    bins = checks.integer(bins, "bins", min=1)
    x, w = x.ravel(), w.ravel()
    keep = (x < below) & (w > 0)
    if not (x[keep] > 0).any():
        raise ValueError(f"no node with positive weight lies in (0, below={below:g})")
    x, w = x[keep], w[keep] * total / w[keep].sum()
    pos = x > 0
    edges = np.geomspace(x[pos].min(), below, bins + 1)
    idx = np.clip(np.searchsorted(edges, x[pos], side="right") - 1, 0, bins - 1)
    mass = np.bincount(idx, weights=w[pos], minlength=bins)
    moment = np.bincount(idx, weights=w[pos] * x[pos], minlength=bins)
    levels, mult, carry, carry_m = [], [], 0.0, 0.0
    for m, mx in zip(mass, moment, strict=True):
        carry, carry_m = carry + m, carry_m + mx
        if carry >= 1.0:
            levels.append(carry_m / carry)
            mult.append(carry)
            carry, carry_m = 0.0, 0.0
    if carry > 0 and mult:  # what is left at the top joins the last level
        levels[-1] = (levels[-1] * mult[-1] + carry_m) / (mult[-1] + carry)
        mult[-1] += carry
    flat = float(w[~pos].sum())
    return np.array([*levels, 0.0]), np.array([*mult, flat])


@experiment.cached
def network_well(
    model: nn.Module,
    data: train.Data,
    theta_star: Tensor,
    anchors: dict[int, Tensor],
    *,
    k: int = 20,
    n_probes: int = 8,
    steps: int = 60,
    bins: int = 40,
) -> dict:
    """The well at ``theta_star`` of ``model`` on ``data``'s training split, and every anchor's
    place in it: {"top" (k,), "levels", "mult" (bulk and flat), "D", "loss_star", "t" (A,),
    "top_energy" (A, k) = (u_i . c)^2, "r2" (A,) = ||c||^2, "quad" (A,) = c^T H c (exact),
    "loss_anchor" (A,) = the true loss at the anchor}."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    like = flatten(model)
    theta_star = _point(theta_star, "theta_star", like)
    if not isinstance(anchors, Mapping) or not anchors:
        raise TypeError(f"anchors must be a non-empty dict {{t: theta_t}}, got {anchors!r:.60}")
    anchors = {checks.integer(t, "anchors (a step t)", min=0): _point(a, f"anchors[{t}]", like)
               for t, a in anchors.items()}  # fmt: skip
    k = checks.integer(k, "k", min=1, max=like.numel() - 1)
    net = load_into(copy.deepcopy(model), theta_star)
    x, y, _, _ = train.check_data(data, theta_star.dtype, next(net.parameters()).device)
    train.check_model_fits(net, x, y)
    op = hessian.hessian_operator(net, (x, y), batch_size=4096)
    top, vecs = hessian.lanczos_eigs(op, k)
    dens = hessian.slq(op, n_probes, steps)
    levels, mult = bulk_levels(dens.nodes.numpy(), dens.weights.numpy(), float(top[-1]),
                               op.dim - k, bins)  # fmt: skip
    ts = sorted(anchors)
    cs = [(anchors[t].to(op.theta) - op.theta).double() for t in ts]
    vecs = vecs.to(cs[0].device)
    return {
        "top": top.cpu().numpy(),
        "levels": levels,
        "mult": mult,
        "D": op.dim,
        "loss_star": op.loss(),
        "t": np.array(ts),
        "top_energy": torch.stack([(vecs @ c) ** 2 for c in cs]).cpu().numpy(),
        "r2": np.array([float(c @ c) for c in cs]),
        "quad": np.array([float(c @ op.hvp(c.to(op.dtype)).double()) for c in cs]),
        "loss_anchor": evaluate_members(Functional.of_module(net), torch.stack(
            [anchors[t] for t in ts]).to(op.theta), x, y)[0].cpu().numpy(),
    }  # fmt: skip


def _point(theta: Tensor, name: str, like: Tensor) -> Tensor:
    """``theta`` as a (D,) tensor of the model's dtype and device (``like``: its parameters)."""
    theta = checks.tensor(theta, name, ndim=1, floating=True, finite=True)
    if theta.shape != like.shape:
        raise ValueError(f"{name} must have shape {tuple(like.shape)} for this model, got "
                         f"{tuple(theta.shape)}")  # fmt: skip
    return theta.to(like)


def _check_well(well: dict) -> dict:
    if not isinstance(well, Mapping) or not set(WELL_KEYS) <= set(well):
        raise TypeError(f"well must be the dict that network_well returns, got {well!r:.60}")
    return well


def _tilted(levels: np.ndarray, mult: np.ndarray, rest: float, target: float) -> np.ndarray:
    """Energies n_j w_j (w_j = level^alpha, flat levels at a tenth of the lowest) summing to
    ``rest`` with sum level_j * energy_j = ``target``: alpha by bisection, clipped to [-4, 4]."""
    pos = levels[levels > 0]
    base = np.where(levels > 0, levels, pos.min() / 10) / pos.max()

    def energy(alpha: float) -> np.ndarray:
        w = mult * base**alpha
        return rest * w / w.sum()

    lo, hi = -4.0, 4.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if levels @ energy(mid) < target else (lo, mid)
    return energy(0.5 * (lo + hi))


def anchor_levels(
    well: dict, i: int, *, tilt: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(levels, multiplicities, energies) of anchor number ``i`` of :func:`network_well`: the
    top eigenvalues with their measured energies, then the bulk levels sharing the rest of
    ||c||^2: in proportion to their multiplicities (``tilt=False``, isotropic), or tilted
    towards stiffer (or flatter) levels as n_j lambda_j^alpha so that the model's c^T H c equals
    the measured one (``tilt=True``, the default)."""
    _check_well(well)
    i = checks.integer(i, "i", min=0, max=len(well["t"]) - 1)
    tilt = checks.boolean(tilt, "tilt")
    top_energy = well["top_energy"][i]
    levels = np.concatenate([np.clip(well["top"], 0, None), well["levels"]])
    mult = np.concatenate([np.ones(len(top_energy)), well["mult"]])
    rest = max(well["r2"][i] - top_energy.sum(), 0.0)
    if tilt:
        target = well["quad"][i] - np.clip(well["top"], 0, None) @ top_energy
        bulk = _tilted(well["levels"], well["mult"], rest, max(target, 0.0))
    else:
        bulk = rest * well["mult"] / well["mult"].sum()
    return levels, mult, np.concatenate([top_energy, bulk])


def predicted_thresholds(
    well: dict,
    targets: list[float],
    *,
    tilt: bool = True,
    calibrate: bool = True,
    n: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """For every anchor t and loss target eps: the statistical dimension delta of the well's
    sublevel cone and the predicted d* = D - delta (NaN where eps is not between L* and the
    loss at the anchor). ``calibrate``: the well's scale is set so that its loss at the anchor is
    the network's true loss there (a well's cones depend on H only up to a factor, so only the
    *fraction* (eps - L*) / (L(theta_t) - L*) of the way down matters); without it the raw
    Hessian at theta* sets the scale. Columns also give R, the model's and the true loss at the
    anchor, and ``quad_ratio``, the model's c^T H c over the measured one."""
    _check_well(well)
    targets = _targets(targets, "targets")
    calibrate = checks.boolean(calibrate, "calibrate")
    n, seed = checks.integer(n, "n", min=2), checks.seed(seed)
    rows = []
    for i, t in enumerate(well["t"]):
        levels, mult, energy = anchor_levels(well, i, tilt=tilt)
        model_quad = float(np.sum(levels * energy))
        true_rise = float(well["loss_anchor"][i]) - well["loss_star"]
        scale = true_rise / (model_quad / 2) if calibrate else 1.0
        for eps in targets:
            height = (eps - well["loss_star"]) / scale
            row = {"t": int(t), "eps": eps, "R": float(np.sqrt(well["r2"][i])),
                   "model_loss0": well["loss_star"] + scale * model_quad / 2,
                   "true_loss0": float(well["loss_anchor"][i]),
                   "quad_ratio": model_quad / well["quad"][i], "delta": np.nan,
                   "d_pred": np.nan}  # fmt: skip
            if 0 < height < model_quad / 2:
                delta = sublevel_statdim(levels, mult, energy, height, n=n, seed=seed)
                row.update(delta=delta.value, d_pred=well["D"] - delta.value)
            rows.append(row)
    return pd.DataFrame(rows)
