"""Training inside a random affine subspace theta = theta_0 + P z, one run or thousands at once.

Li et al. (2018) freeze a network's D parameters at an anchor theta_0 and train only the d
coordinates z of a random subspace through it; the smallest d that reaches 90 % of the full model's
accuracy is the *intrinsic dimension* d_int90. This module is the engine:

* ``train_subspace`` trains one z (SGD or Adam, z starts at 0) for any ``nn.Module``, through
  ``torch.func.functional_call`` with the flat parameter vector theta_0 + P z;
* ``train_ensemble`` trains E subspaces of one model at once (different seeds and different d) as
  ONE vectorised computation: the E projections are stacked (``projections.stack_projections``)
  and map Z (E, d_max) to Theta (E, D) together; ``torch.func.vmap`` runs the model on all E
  parameter vectors; the summed loss is differentiated once (members do not interact, so each
  row of Z gets its own gradient) and one optimiser steps all rows (SGD and Adam act entry-wise).
  **Different d are padded to d_max with a mask**: member e uses z_e[:d_e]; the padding gets zero
  gradient and stays 0. ``sweep`` sorts runs by d before cutting them into chunks, so a chunk
  holds similar d and the padding is small. All members see the same mini-batch sequence (fixed by
  ``data_seed``), so they differ only in their subspace.
* ``sweep`` caches every (model, data, kind, d, seed, anchor, optimiser, lr, steps, batch) run on
  its own through ``dofcourse.cache``, so an interrupted sweep resumes with the missing runs;
* ``burn_in`` gives an anchor after t steps of ordinary training (chapter 05);
* ``intrinsic_dimension`` reads d_int90 off a sweep, with a bootstrap interval over seeds.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap
from tqdm.auto import tqdm

from dofcourse import cache, train
from dofcourse.projections import (
    DEFAULT_MAX_BYTES,
    Projection,
    StackedProjection,
    stack_projections,
)

__all__ = [
    "SubspaceRun",
    "SweepResult",
    "IntrinsicDim",
    "flat_params",
    "unflatten",
    "burn_in",
    "train_subspace",
    "train_ensemble",
    "sweep",
    "crossing",
    "intrinsic_dimension",
    "loss_on_plane",
    "time_per_step",
]


# --------------------------------------------------------------------------- flat parameters
def flat_params(model: nn.Module) -> torch.Tensor:
    """All trainable parameters of ``model`` as one detached vector theta of shape (D,)."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters() if p.requires_grad])


def unflatten(theta: torch.Tensor, model: nn.Module) -> dict[str, torch.Tensor]:
    """Split theta (D,) into ``{name: tensor}`` shaped like ``model``'s trainable parameters.

    Works inside ``vmap`` (theta is then one row of a stacked (E, D) tensor).
    """
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    pieces = torch.split(theta, [p.numel() for _, p in named])
    return {n: t.view(p.shape) for (n, p), t in zip(named, pieces, strict=True)}


def _check_anchor(model: nn.Module, anchor: torch.Tensor | None) -> torch.Tensor:
    theta0 = flat_params(model) if anchor is None else anchor.detach()
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if theta0.dim() != 1 or theta0.numel() != n:
        raise ValueError(f"anchor must be a flat vector of the model's D={n} parameters, "
                         f"got shape {tuple(theta0.shape)}")  # fmt: skip
    return theta0.to(next(model.parameters()).device)


def burn_in(
    model: nn.Module,
    data: train.Data,
    *,
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    batch_size: int | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """The anchor theta_0 (D,) reached by ``steps`` steps of ordinary training from ``model``.

    ``model`` itself is not changed (a copy is trained); ``steps=0`` returns its parameters.
    """
    if steps == 0:
        return flat_params(model)
    trained = copy.deepcopy(model)
    train.train(trained, data, steps=steps, lr=lr, optimizer=optimizer, batch_size=batch_size,
                seed=seed, progress=False, eval_every=steps)  # fmt: skip
    return flat_params(trained)


# --------------------------------------------------------------------------- results
@dataclass
class SubspaceRun:
    """One subspace training: its projection (kind, d, seed), the trained z (d,), final metrics.

    ``history`` maps "step", "loss", "train_acc", "test_acc" to lists of floats and "z" to a list
    of (d,) tensors, one entry per evaluation (empty unless ``eval_every`` was given).
    """

    kind: str
    d: int
    seed: int
    z: torch.Tensor
    loss: float
    train_acc: float
    test_acc: float
    history: dict[str, list] = field(default_factory=dict)


@dataclass
class SweepResult:
    """Runs over a grid: ``test_acc``/``train_acc``/``loss`` arrays of shape (n_seeds, n_dims)."""

    kind: str
    dims: list[int]
    seeds: list[int]
    test_acc: np.ndarray
    train_acc: np.ndarray
    loss: np.ndarray


# --------------------------------------------------------------------------- the engine
class _Ensemble:
    """E subspace models theta_e = theta_0 + P_e z_e of one network, evaluated together."""

    def __init__(self, model: nn.Module, theta0: torch.Tensor, proj: StackedProjection):
        self.model, self.theta0, self.proj = model, theta0, proj
        self.buffers = {n: b for n, b in model.named_buffers()}

        def logits(theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
            params = unflatten(theta, model)
            return functional_call(model, (params, self.buffers), (x,))

        self._logits = vmap(logits, in_dims=(0, None))

    def thetas(self, z: torch.Tensor) -> torch.Tensor:
        """(E, d_max) -> (E, D)."""
        return self.theta0 + self.proj.apply(z)

    def losses(self, z: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of every member on the batch: (E,)."""
        out = self._logits(self.thetas(z), x)  # (E, N, C)
        e, n, c = out.shape
        return (
            F.cross_entropy(out.reshape(e * n, c), y.repeat(e), reduction="none").view(e, n).mean(1)
        )

    @torch.no_grad()
    def evaluate(self, z: torch.Tensor, x: torch.Tensor, y: torch.Tensor, batch: int = 2048):
        """(mean loss (E,), accuracy (E,)) on the whole of x, y."""
        thetas = self.thetas(z)
        loss = torch.zeros(len(thetas), device=z.device)
        correct = torch.zeros(len(thetas), device=z.device)
        for s in range(0, len(x), batch):
            out = self._logits(thetas, x[s : s + batch])
            yb = y[s : s + batch]
            e, n, c = out.shape
            ce = F.cross_entropy(out.reshape(e * n, c), yb.repeat(e), reduction="none")
            loss += ce.view(e, n).sum(1)
            correct += (out.argmax(-1) == yb).sum(1)
        return loss / len(x), correct / len(x)


def train_ensemble(
    model: nn.Module,
    data: train.Data,
    dims: Sequence[int],
    seeds: Sequence[int],
    *,
    kind: str = "fastfood",
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    anchor: torch.Tensor | None = None,
    batch_size: int | None = None,
    data_seed: int = 0,
    momentum: float = 0.0,
    eval_every: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> list[SubspaceRun]:
    """Train E = len(dims) subspaces of ``model`` at once; member e has dimension dims[e] and
    projection seed seeds[e]. Returns one ``SubspaceRun`` per member, in the given order.

    ``anchor`` (D,) is theta_0 (default: the model's current parameters, i.e. its initialisation);
    the model is never changed. ``eval_every`` adds a history (default: only the final metrics).
    """
    train.check_settings(steps, lr, optimizer, batch_size)
    if len(dims) != len(seeds) or not dims:
        raise ValueError(f"need equally many dims and seeds (>= 1), got {len(dims)}, {len(seeds)}")
    theta0 = _check_anchor(model, anchor)
    device = theta0.device
    proj = stack_projections(kind, theta0.numel(), dims, seeds, device=device,
                             dtype=theta0.dtype, max_bytes=max_bytes)  # fmt: skip
    ens = _Ensemble(model, theta0, proj)
    x, y = data.x_train.to(device), data.y_train.to(device)
    z = torch.zeros(proj.n, proj.d_max, device=device, dtype=theta0.dtype, requires_grad=True)
    opt = train.make_optimizer([z], optimizer, lr, momentum)
    batches = train.batch_indices(len(x), batch_size, data_seed, device)
    hist: dict[str, list] = {"step": [], "loss": [], "train_acc": [], "test_acc": [], "z": []}

    def record(step: int) -> None:
        loss, acc = ens.evaluate(z, x, y)
        test = ens.evaluate(z, data.x_test.to(device), data.y_test.to(device))[1]
        for k, v in zip(hist, (step, loss, acc, test, z.detach()), strict=True):
            hist[k].append(v if k == "step" else v.cpu().clone())

    step_once = _stepper(ens, z, opt, batches, x, y)
    bar = tqdm(range(1, steps + 1), desc=f"{kind} x{proj.n}", disable=not progress, leave=False)
    for step in bar:
        if eval_every and (step - 1) % eval_every == 0:
            record(step - 1)
        step_once()
    record(steps)
    return [_member_run(proj, e, z, hist, eval_every) for e in range(proj.n)]


def _stepper(ens: _Ensemble, z: torch.Tensor, opt, batches, x: torch.Tensor, y: torch.Tensor):
    """A function doing one optimiser step of all members on the next mini-batch."""

    def step() -> None:
        idx = next(batches)
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        losses = ens.losses(z, xb, yb)
        if not torch.isfinite(losses).all():
            raise FloatingPointError("a subspace training loss became non-finite: lower lr")
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()

    return step


def _member_run(proj, e, z, hist, eval_every) -> SubspaceRun:
    d = proj.ds[e]
    h = {"step": list(hist["step"])} if eval_every else {}
    if eval_every:
        h.update({k: [float(v[e]) for v in hist[k]] for k in ("loss", "train_acc", "test_acc")})
        h["z"] = [v[e, :d] for v in hist["z"]]
    return SubspaceRun(kind=proj.kind, d=d, seed=proj.seeds[e], z=z[e, :d].detach().cpu().clone(),
                       loss=float(hist["loss"][-1][e]), train_acc=float(hist["train_acc"][-1][e]),
                       test_acc=float(hist["test_acc"][-1][e]), history=h)  # fmt: skip


def train_subspace(
    model: nn.Module,
    data: train.Data,
    d: int,
    *,
    kind: str = "fastfood",
    seed: int = 0,
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    anchor: torch.Tensor | None = None,
    batch_size: int | None = None,
    data_seed: int = 0,
    momentum: float = 0.0,
    eval_every: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: bool = True,
) -> SubspaceRun:
    """Train z (d,) of theta = anchor + P z, P = make_projection(kind, D, d, seed); z starts at 0.

    With ``kind="identity"`` (d = D) this is ordinary training, step for step.
    """
    return train_ensemble(model, data, [d], [seed], kind=kind, steps=steps, lr=lr,
                          optimizer=optimizer, anchor=anchor, batch_size=batch_size,
                          data_seed=data_seed, momentum=momentum, eval_every=eval_every,
                          max_bytes=max_bytes, progress=progress)[0]  # fmt: skip


# --------------------------------------------------------------------------- cached sweeps
def sweep(
    model: nn.Module,
    data: train.Data,
    dims: Sequence[int],
    seeds: Sequence[int],
    *,
    kind: str = "fastfood",
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    anchor: torch.Tensor | None = None,
    batch_size: int | None = None,
    data_seed: int = 0,
    momentum: float = 0.0,
    chunk: int = 32,
    chunk_bytes: int = 2**26,
    max_bytes: int = DEFAULT_MAX_BYTES,
    namespace: str = "subspace",
    progress: bool = True,
) -> SweepResult:
    """Every (d, seed) in dims x seeds, each cached on its own; missing runs are trained in
    vectorised chunks of at most ``chunk`` members, sorted by d so that padding stays small. For
    the stored kinds ("dense", "orthonormal") a chunk also holds at most ``chunk_bytes`` of
    padded matrices (E D d_max floats). Returns the accuracies as (n_seeds, n_dims) arrays.
    """
    train.check_settings(steps, lr, optimizer, batch_size)
    theta0 = _check_anchor(model, anchor)
    shared = dict(arch=repr(model), anchor=cache.key_hash(a=theta0), data=cache.key_hash(d=data),
                  kind=kind, steps=steps, lr=lr, optimizer=optimizer, batch_size=batch_size,
                  data_seed=data_seed, momentum=momentum)  # fmt: skip
    grid = [(int(d), int(s)) for d in sorted(set(dims)) for s in seeds]
    runs = {p: cache.load(namespace, **shared, d=p[0], seed=p[1]) for p in grid}
    todo = [p for p in grid if runs[p] is None]
    bar = tqdm(total=len(grid), initial=len(grid) - len(todo), desc=f"sweep {kind}",
               disable=not progress)  # fmt: skip
    for part in _chunks(todo, chunk, chunk_bytes // (4 * theta0.numel()), kind):
        out = train_ensemble(model, data, [p[0] for p in part], [p[1] for p in part], kind=kind,
                             steps=steps, lr=lr, optimizer=optimizer, anchor=theta0,
                             batch_size=batch_size, data_seed=data_seed, momentum=momentum,
                             max_bytes=max_bytes, progress=progress)  # fmt: skip
        for p, run in zip(part, out, strict=True):
            runs[p] = cache.store(namespace, run, **shared, d=p[0], seed=p[1])
        bar.update(len(part))
    bar.close()
    table = {m: np.array([[getattr(runs[(int(d), int(s))], m) for d in dims] for s in seeds])
             for m in ("test_acc", "train_acc", "loss")}  # fmt: skip
    return SweepResult(kind=kind, dims=[int(d) for d in dims], seeds=[int(s) for s in seeds],
                       **table)  # fmt: skip


def _chunks(todo: list[tuple[int, int]], size: int, max_cols: int, kind: str):
    """Split (d, seed) runs, sorted by d, into consecutive chunks of at most ``size`` runs and,
    for stored projections, at most ``max_cols`` padded columns (members x d_max)."""
    part: list[tuple[int, int]] = []
    for p in todo:
        stored = kind in ("dense", "orthonormal")
        if part and (len(part) == size or (stored and (len(part) + 1) * p[0] > max_cols)):
            yield part
            part = []
        part.append(p)
    if part:
        yield part


# --------------------------------------------------------------------------- intrinsic dimension
@dataclass
class IntrinsicDim:
    """d_int (with a bootstrap interval lo..hi) where mean accuracy first reaches ``target``."""

    d_int: float
    lo: float
    hi: float
    target: float
    threshold: float

    def __str__(self) -> str:
        return (f"d_int{round(100 * self.threshold)} = {self.d_int:.0f} "
                f"[{self.lo:.0f}, {self.hi:.0f}] (target accuracy {self.target:.3f})")  # fmt: skip


def crossing(dims: Sequence[float], acc: Sequence[float], target: float) -> float:
    """The first d at which the curve acc(d) reaches ``target``, linear in log d between grid
    points. Returns dims[0] if acc[0] already reaches it, ``inf`` if no point does.
    """
    d, a = np.asarray(dims, float), np.asarray(acc, float)
    if d.ndim != 1 or d.shape != a.shape or np.any(np.diff(d) <= 0) or d[0] <= 0:
        raise ValueError("dims must be positive and increasing, with one accuracy per dim")
    hit = np.flatnonzero(a >= target)
    if hit.size == 0:
        return math.inf
    i = hit[0]
    if i == 0:
        return float(d[0])
    t = (target - a[i - 1]) / (a[i] - a[i - 1])
    return float(np.exp(np.log(d[i - 1]) + t * (np.log(d[i]) - np.log(d[i - 1]))))


def intrinsic_dimension(
    dims: Sequence[int],
    acc: np.ndarray,
    full_acc: float,
    *,
    threshold: float = 0.9,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> IntrinsicDim:
    """d_int from accuracies ``acc`` (n_seeds, n_dims) of a sweep and the full model's accuracy.

    The estimate is the crossing of the seed-mean curve with threshold * full_acc. The interval
    resamples the seeds with replacement, independently at each d (runs at different d are
    independent trainings), and takes the central ``level`` quantiles of the crossings.
    """
    acc = np.asarray(acc, float)
    if acc.ndim != 2 or acc.shape[1] != len(dims):
        raise ValueError(f"acc must have shape (n_seeds, {len(dims)}), got {acc.shape}")
    target = threshold * full_acc
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, acc.shape[0], size=(n_boot, *acc.shape))
    boot = np.take_along_axis(acc[None], idx, axis=1).mean(1)  # (n_boot, n_dims)
    cross = np.array([crossing(dims, b, target) for b in boot])
    lo, hi = np.quantile(cross, [(1 - level) / 2, (1 + level) / 2])
    return IntrinsicDim(crossing(dims, acc.mean(0), target), float(lo), float(hi), target,
                        threshold)  # fmt: skip


# --------------------------------------------------------------------------- pictures and timing
@torch.no_grad()
def loss_on_plane(
    model: nn.Module,
    data: train.Data,
    proj: Projection,
    extent: float,
    n: int = 25,
    anchor: torch.Tensor | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Training loss on the n x n grid theta_0 + P (a, b), a, b in [-extent, extent], P of d = 2.

    All n^2 points are evaluated as one vmapped ensemble. Returns (grid (n,), loss (n, n)) with
    loss[i, j] at (a=grid[j], b=grid[i]) (the layout ``plot_surface`` expects).
    """
    if proj.d != 2:
        raise ValueError(f"loss_on_plane needs a projection with d = 2, got d = {proj.d}")
    theta0 = _check_anchor(model, anchor)
    grid = torch.linspace(-extent, extent, n, device=theta0.device)
    b, a = torch.meshgrid(grid, grid, indexing="ij")
    ab = torch.stack([a.reshape(-1), b.reshape(-1)], 1).to(theta0.dtype)
    ens = _Ensemble(model, theta0, _Plane(proj, len(ab)))
    loss, _ = ens.evaluate(ab, data.x_train.to(theta0.device), data.y_train.to(theta0.device))
    return grid.cpu().numpy(), loss.view(n, n).cpu().numpy()


class _Plane:
    """One d = 2 projection applied to many points z (E, 2), duck-typing StackedProjection."""

    def __init__(self, proj: Projection, n: int):
        self.p, self.n = proj, n

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        return self.p(z)


def time_per_step(
    model: nn.Module,
    data: train.Data,
    *,
    kind: str | None,
    d: int = 1,
    n: int = 1,
    steps: int = 10,
    repeats: int = 3,
    batch_size: int | None = 128,
    lr: float = 1e-3,
) -> float:
    """Seconds per training step (Adam, same mini-batches), best of ``repeats`` blocks of ``steps``.

    ``kind=None`` times ordinary training of all D parameters; otherwise an ensemble of ``n``
    subspace trainings of dimension ``d`` (the projections are built before the clock starts).
    The model is not changed.
    """
    theta0 = flat_params(model)
    x, y = data.x_train.to(theta0.device), data.y_train.to(theta0.device)
    batches = train.batch_indices(len(x), batch_size, 0, theta0.device)
    if kind is None:
        net = copy.deepcopy(model)
        opt = train.make_optimizer(net.parameters(), "adam", lr)

        def step() -> None:
            idx = next(batches)
            xb, yb = (x, y) if idx is None else (x[idx], y[idx])
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    else:
        proj = stack_projections(kind, theta0.numel(), [d] * n, range(n), device=theta0.device)
        z = torch.zeros(n, d, device=theta0.device, requires_grad=True)
        step = _stepper(_Ensemble(model, theta0, proj), z, train.make_optimizer([z], "adam", lr),
                        batches, x, y)  # fmt: skip
    for _ in range(2):
        step()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        if theta0.is_cuda:
            torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - start) / steps)
    return best
