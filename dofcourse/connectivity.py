"""Linear mode connectivity: loss and error on the straight line between two networks.

Two networks theta_a, theta_b (D,) are *linearly mode connected* when the error does not rise on
the segment (1 - alpha) theta_a + alpha theta_b, alpha in [0, 1]. Frankle, Dziugaite, Roy &
Carbin (2020) measure the **error barrier**: the largest error on the segment minus the mean of
the errors at its two ends (:func:`barrier`). *Instability analysis* (:func:`instability`) trains
copies of one starting point that differ only in their mini-batch order and measures the barrier
between them: a starting point is *stable* when the barrier is about 0, i.e. SGD noise no longer
decides which basin training ends in. Frankle et al. find that IMP tickets reach full accuracy
exactly from the rewind points where they are stable (chapter 07).

Per example, Paul et al. (2022, the ``lth_diet`` code) take the loss at the midpoint minus the
mean of the losses at the ends (:func:`midpoint_barrier`); the examples with a small one are
the *linearly mode connected* examples of chapter 08. Points on a line are evaluated together
with ``ensemble.evaluate_members``.

Copies that diverged (the ensemble's divergence monitor) are frozen where they broke off, so two
of them can sit at one point and look "perfectly stable": such a pair has no barrier (NaN), is
flagged ``diverged``, and every call that returns it warns. :func:`instability_vs_k` is a grid
experiment (:func:`instability_runs`) over (k, replica seed), cached per point.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from dofcourse import checks, divergence, ensemble, experiment, train
from dofcourse.params import Functional, check_functional
from dofcourse.pruning.rewind import (
    check_start,
    chunk_size,
    even_parts,
    fit_flagged,
    initial_points,
    warned,
)
from dofcourse.settings import TrainSettings

__all__ = [
    "LinePath",
    "barrier",
    "instability",
    "instability_runs",
    "instability_vs_k",
    "linear_path",
    "midpoint_barrier",
]


@dataclass
class LinePath:
    """Loss and error at ``alphas`` (n,) on the lines between pairs: ``loss``, ``error`` (..., n);
    alpha = 0 is theta_a, alpha = 1 is theta_b."""

    alphas: np.ndarray
    loss: np.ndarray
    error: np.ndarray


def _pair(net: Functional, theta_a: Tensor, theta_b: Tensor) -> tuple[Tensor, Tensor]:
    check_functional(net)
    a = checks.tensor(theta_a, "theta_a", ndim=(1, 2, 3), floating=True, finite=True)
    b = checks.tensor(theta_b, "theta_b", ndim=(1, 2, 3), floating=True, finite=True)
    if a.shape != b.shape or a.shape[-1] != net.D:
        raise ValueError(f"theta_a and theta_b must both be (..., D) with D = {net.D}, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")  # fmt: skip
    return a.to(net.device, net.dtype), b.to(net.device, net.dtype)


def linear_path(
    net: Functional, theta_a: Tensor, theta_b: Tensor, x: Tensor, y: Tensor, *, n_points: int = 25
) -> LinePath:
    """Mean loss and error on (x, y) at ``n_points`` evenly spaced points of each line from
    theta_a to theta_b (both (D,), or (P, D) for P pairs: arrays (P, n_points))."""
    a, b = _pair(net, theta_a, theta_b)
    n = checks.integer(n_points, "n_points", min=2)
    _, x, y = ensemble.check_examples(net, a.reshape(-1, net.D)[:1], x, y, empty=False)
    checks.budget(4.0 * n * (net.D + 2 * min(len(x), 2048) * 10), f"{n} points on a line",
                  "use fewer n_points", name="n_points")  # fmt: skip
    alphas = torch.linspace(0, 1, n, device=net.device, dtype=net.dtype)
    loss, acc = [], []
    for ai, bi in zip(a.reshape(-1, net.D), b.reshape(-1, net.D), strict=True):
        points = (1 - alphas)[:, None] * ai + alphas[:, None] * bi
        lo, ac = ensemble.evaluate_members(net, points, x, y)
        loss.append(lo.cpu().numpy())
        acc.append(ac.cpu().numpy())
    shape = (*a.shape[:-1], n)
    loss_a, err_a = np.array(loss).reshape(shape), 1 - np.array(acc).reshape(shape)
    return LinePath(alphas.cpu().numpy(), loss_a, err_a)


def barrier(curve: np.ndarray | Sequence[float]) -> np.ndarray:
    """Max over the line minus the mean of its two ends, along the last axis (..., n) -> (...).

    On an error curve this is Frankle et al.'s error barrier (instability); it is >= 0, and 0
    when the curve never rises above the straight line's ends' mean."""
    c = checks.array(curve, "curve")
    if c.ndim == 0 or c.shape[-1] < 2:
        raise ValueError(f"a curve needs at least 2 points on its last axis, got shape {c.shape}")
    return c.max(-1) - (c[..., 0] + c[..., -1]) / 2


@torch.no_grad()
def midpoint_barrier(
    net: Functional, theta_a: Tensor, theta_b: Tensor, x: Tensor, y: Tensor, chunk: int = 2048
) -> Tensor:
    """Per-example loss barrier (N,): cross-entropy at (theta_a + theta_b)/2 minus the mean of
    the cross-entropies at theta_a and theta_b (as the ``lth_diet`` code computes it)."""
    a, b = _pair(net, theta_a, theta_b)
    if a.dim() != 1:
        raise ValueError("midpoint_barrier takes one pair: theta_a and theta_b of shape (D,)")
    thetas, x, y = ensemble.check_examples(net, torch.stack([a, b, (a + b) / 2]), x, y,
                                           empty=False)  # fmt: skip
    chunk = checks.integer(chunk, "chunk", min=1)
    logits = ensemble.members_outputs(net, 3)
    out = []
    for s in range(0, len(x), chunk):
        out3, yb = logits(thetas, x[s : s + chunk]), y[s : s + chunk]
        ce = F.cross_entropy(out3.transpose(1, 2), yb.expand(3, -1), reduction="none")
        out.append(ce[2] - (ce[0] + ce[1]) / 2)
    return torch.cat(out).cpu()


def _copies(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    start: Tensor,
    mask: Tensor | None,
    orders: list[list[int]],
    n_points: int,
    per_example: bool,
    progress: bool,
) -> dict:
    """Train copies c of each start r (R, D) with mini-batch orders ``orders[r][c]`` as one
    ensemble and measure the lines between them (see :func:`instability`)."""
    r_n, n_copies = len(start), len(orders[0])
    seeds = [o for row in orders for o in row]
    members = start.repeat_interleave(n_copies, 0)
    masks = None if mask is None else mask.repeat_interleave(n_copies, 0)
    theta, hist, div = fit_flagged(model, data, settings, members, masks, order_seeds=seeds,
                                   eval_train=False, progress=progress,
                                   desc="copies")  # fmt: skip
    theta = theta.view(r_n, n_copies, -1)
    diverged = div.reshape(r_n, n_copies).any(1)
    net = Functional.of_module(model)
    _, _, x_test, y_test = train.check_data(data, net.dtype, net.device)
    pairs = list(itertools.combinations(range(n_copies), 2))
    ia, ib = [p[0] for p in pairs], [p[1] for p in pairs]
    path = linear_path(net, theta[:, ia], theta[:, ib], x_test, y_test, n_points=n_points)
    out = {
        "alphas": path.alphas,
        "loss": path.loss,
        "error": path.error,
        "barrier": np.where(diverged, np.nan, barrier(path.error).mean(-1)),
        "test_acc": np.where(div, np.nan, hist.test_acc[:, -1]).reshape(r_n, n_copies),
        "diverged": diverged,
        "midpoint": None,
    }
    if per_example:
        x, y, _, _ = train.check_data(data, net.dtype, net.device)
        out["midpoint"] = torch.stack([midpoint_barrier(net, theta[r, 0], theta[r, 1], x, y)
                                       for r in range(r_n)])  # fmt: skip
        out["midpoint"][torch.as_tensor(diverged)] = float("nan")
    return out


@experiment.cached
def _instability(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    start: Tensor,
    mask: Tensor | None = None,
    n_copies: int = 2,
    n_points: int = 25,
    per_example: bool = False,
    progress: bool = True,
) -> dict:
    """Instability of the starting points ``start`` (R, D) (under boolean ``mask`` (R, D), if any).

    Each replica r is copied ``n_copies`` times; copy c trains for ``settings.steps`` with
    mini-batch order ``settings.order_seed + 1000 (c + 1) + r`` (all R * n_copies members as one
    ensemble). For every pair of copies, the test loss and error along their line. Returns
    ``alphas`` (n,), ``loss``, ``error`` (R, pairs, n), ``barrier`` (R,) (error barrier, mean over
    pairs), ``test_acc`` (R, n_copies), ``diverged`` (R,) (a copy of r diverged: its barrier and
    accuracies are NaN, and a warning says so on every call: :func:`instability`, through
    ``pruning.rewind.warned``), and with ``per_example`` the per-example
    :func:`midpoint_barrier` of copies 0 and 1 on the training set, ``midpoint`` (R, N). Cached.
    """
    start = check_start(model, start, "start").detach()
    settings = checks.settings(settings)
    n_copies = checks.integer(n_copies, "n_copies", min=2)
    n_points = checks.integer(n_points, "n_points", min=2)
    per_example = checks.boolean(per_example, "per_example")
    if mask is not None:
        mask = checks.tensor(mask, "mask", ndim=2)
        if mask.dtype != torch.bool or mask.shape != start.shape:
            raise ValueError(f"mask must be a boolean tensor of shape {tuple(start.shape)}, got "
                             f"{mask.dtype} {tuple(mask.shape)}")  # fmt: skip
    orders = [[settings.order_seed + 1000 * (c + 1) + r for c in range(n_copies)]
              for r in range(len(start))]  # fmt: skip
    return _copies(model, data, settings, start, mask, orders, n_points, per_example, progress)


instability = warned(_instability, "starting points' copies")


def _same_k(points: list[dict], fixed: dict) -> list[list[dict]]:
    """One chunk per k (the copies train T - k steps), of at most half ``chunk_size`` points
    (each point trains two or more copies)."""
    most = max(1, chunk_size(fixed["data"]) // 2)
    ks = sorted({p["k"] for p in points})
    return [c for k in ks for c in even_parts([p for p in points if p["k"] == k], most)]


@experiment.batched(axes=("k", "seed"), chunk=_same_k)
def instability_runs(
    points: list[dict],
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    n_copies: int = 2,
    n_points: int = 25,
) -> list[dict]:
    """Instability of the dense network of seed s rewound to k, for each point ({"k", "seed"};
    all of one k as one ensemble): theta_0 from seed s, k dense steps in mini-batch order
    ``settings.order_seed + s`` (as ``pruning.imp_grid``), then ``n_copies`` copies trained the
    remaining T - k steps in orders ``settings.order_seed + 1000 (c + 1) + s``. Per point:
    ``barrier``, ``test_acc`` (mean of the copies), ``diverged``, ``alphas``, ``error``,
    ``loss`` (pairs, n). Run it with :func:`instability_vs_k`. Chapter 07."""
    k, seeds = points[0]["k"], [p["seed"] for p in points]
    start = initial_points(model, seeds).detach().cpu()
    rewind_div = np.zeros(len(seeds), dtype=bool)
    if k > 0:
        start, _, rewind_div = fit_flagged(model, data, settings.replace(steps=k), start,
                                           order_seeds=[settings.order_seed + s for s in seeds],
                                           eval_train=False, progress=False)  # fmt: skip
    orders = [[settings.order_seed + 1000 * (c + 1) + s for c in range(n_copies)] for s in seeds]
    out = _copies(model, data, settings.replace(steps=settings.steps - k), start, None, orders,
                  n_points, False, False)  # fmt: skip
    diverged = out["diverged"] | rewind_div
    return [
        {
            "barrier": float(np.nan if diverged[i] else out["barrier"][i]),
            "test_acc": float(np.nan if diverged[i] else out["test_acc"][i].mean()),
            "diverged": bool(diverged[i]),
            "alphas": out["alphas"],
            "error": out["error"][i],
            "loss": out["loss"][i],
        }
        for i in range(len(seeds))
    ]


def instability_vs_k(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    *,
    init_seeds: Sequence[int],
    ks: Sequence[int],
    n_copies: int = 2,
    n_points: int = 25,
    executor: object = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Instability of the dense network rewound to each rewind point k in ``ks`` (points of
    one training, not a length): the copies train the remaining T - k steps
    (T = ``settings.steps``), from the same rewind points as
    ``pruning.imp_grid`` and ``pruning.lottery``. One row per (k, seed): ``barrier``,
    ``test_acc`` (mean of the copies; both NaN where a copy diverged), ``diverged``, and the
    curves ``alphas``, ``error``, ``loss`` (pairs, n). A grid: each (k, seed) is cached on its
    own (:func:`instability_runs`); ``executor`` runs the chunks elsewhere (``experiment.grid``)."""
    settings = checks.settings(settings)
    ks = checks.integers(ks, "ks", min=0, max=settings.steps - 1)
    seeds = checks.seeds(init_seeds, "init_seeds")
    n_copies = checks.integer(n_copies, "n_copies", min=2)
    n_points = checks.integer(n_points, "n_points", min=2)
    table = experiment.grid(instability_runs, {"k": ks, "seed": seeds}, model=model, data=data,
                            settings=settings, n_copies=n_copies, n_points=n_points,
                            executor=executor, progress=progress,
                            desc=f"instability, lr={settings.lr:g}")  # fmt: skip
    divergence.warn(table.diverged.to_numpy(), "starting points' copies", settings)
    return table
