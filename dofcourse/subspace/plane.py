"""Pictures and costs of subspace training: the loss on a random plane, and time per step.

* :func:`loss_on_plane`: the training loss on the 2-D slice theta_0 + P (a, b) of a network's
  landscape (P a projection with d = 2), evaluated as one vectorised computation through
  ``landscape.slice_2d``. Chapter 03 uses it to show what a d = 2 subspace sees.
* :func:`time_per_step`: seconds per training step of an ensemble of subspace trainings and of
  ordinary training of the same model, measured as the difference of two runs of different
  length (the set-up and the evaluations cancel), long enough to be measurable, the median of
  several repeats, in CPU time on the CPU. Chapter 03's cost panel;
  ``benchmarks/bench_subspace.py``.
"""

from __future__ import annotations

import copy
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dofcourse import checks, landscape, train
from dofcourse.params import Functional
from dofcourse.projections import DEFAULT_MAX_BYTES, KINDS, Projection
from dofcourse.settings import TrainSettings
from dofcourse.subspace.affine import check_anchor, train_ensemble


def loss_on_plane(
    model: nn.Module,
    data: train.Data,
    proj: Projection,
    extent: float,
    n: int = 25,
    anchor: torch.Tensor | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Training loss on the n x n grid theta_0 + P (a, b), a, b in [-extent, extent], d = 2.

    Returns (grid (n,), loss (n, n)) with loss[i, j] at (a = grid[j], b = grid[i]) (the layout
    ``contourf`` expects). Chapter 03.
    """
    if not isinstance(proj, Projection) or proj.d != 2:
        raise ValueError(f"loss_on_plane needs a projection with d = 2, got {proj!r}")
    theta0 = check_anchor(model, anchor)
    extent = checks.real(extent, "extent", min=0.0, open_min=True)
    n = checks.integer(n, "n", min=2)
    net = Functional.of_module(model)
    x, y, _, _ = train.check_data(data, net.dtype, net.device)
    train.check_model_fits(model, x, y)
    basis = proj(torch.eye(2, dtype=theta0.dtype, device=theta0.device))  # (2, D): P e_1, P e_2

    def loss_fn(theta: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(net(theta, x), y)

    grid = torch.linspace(-extent, extent, n, dtype=theta0.dtype)
    with torch.no_grad():
        values = landscape.slice_2d(loss_fn, theta0, basis[0], basis[1], grid, grid)
    return grid.numpy(), values.T.cpu().numpy()


def time_per_step(
    model: nn.Module,
    data: train.Data,
    *,
    kind: str | None,
    d: int = 1,
    n: int = 1,
    steps: int = 20,
    repeats: int = 5,
    batch_size: int | None = 128,
    lr: float = 1e-3,
    min_seconds: float = 0.03,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> float:
    """Seconds per Adam step: of ``n`` subspace trainings of dimension d together (``kind``), or of
    ordinary training of all D parameters (``kind=None``). Chapter 03's cost panel.

    After a warm-up run, the median over ``repeats`` of (T(2 s) − T(s)) / s, so that the fixed
    costs (set-up, evaluations) cancel; s starts at ``steps`` and is doubled until one difference
    lasts ``min_seconds``, so a cheap step is not timed over a window a single interruption can
    swamp. On the CPU, T is this process's CPU time (other programs on a shared machine do not
    count); on a GPU, wall time after synchronising. The model is not changed. ``max_bytes``:
    the memory budget of the projections (``train_ensemble``'s; a dense P at D = 199,210 and
    d = 1,000 needs about 3.7 GiB with its training).
    """
    steps = checks.integer(steps, "steps", min=1)
    repeats = checks.integer(repeats, "repeats", min=1)
    min_seconds = checks.real(min_seconds, "min_seconds", min=0.0)
    max_bytes = checks.integer(max_bytes, "max_bytes", min=1)
    n, d = checks.integer(n, "n", min=1), checks.integer(d, "d", min=1)
    if kind is not None:
        kind = checks.choice(kind, "kind", KINDS)
    settings = TrainSettings(steps=steps, lr=lr, optimizer="adam", batch_size=batch_size)
    on_gpu = check_anchor(model, None).device.type != "cpu"
    clock = time.perf_counter if on_gpu else time.process_time

    def run(k: int) -> float:
        s = settings.replace(steps=k)
        start = clock()
        if kind is None:
            train.train(copy.deepcopy(model), data, s, eval_every=k, progress=False)
        else:
            train_ensemble(model, data, s, [d] * n, list(range(n)), kind=kind, progress=False,
                           max_bytes=max_bytes)  # fmt: skip
        if on_gpu and torch.cuda.is_available():
            torch.cuda.synchronize()
        return clock() - start

    run(2)  # warm-up
    while (diff := run(2 * steps) - run(steps)) < min_seconds and steps < 100_000:
        steps *= 2
    samples = [diff / steps] + [(run(2 * steps) - run(steps)) / steps for _ in range(repeats - 1)]
    return max(statistics.median(samples), 1e-9)
