"""Training inside a random affine subspace theta = theta_0 + P z: one run or many at once.

Li et al. (2018) freeze a network's D parameters at an anchor theta_0 and train only the d
coordinates z of a random subspace through it. Here that is one parametrisation of the shared
ensemble trainer (``dofcourse.ensemble``): :class:`Affine` maps the stacked coordinates Z (E, d_max)
of E members to their parameters theta_0 + P_e z_e, where the E projections (different seeds and
different d) are stacked by ``projections.stack_projections`` and applied in one vectorised call.
**Different d are padded to d_max**: member e uses z_e[:d_e]; the padding gets zero gradient
and stays 0. z starts at 0, so every member starts at the anchor.

The anchor is the initialisation (t = 0) or the point reached after t steps of ordinary
training, the *burn-in* of chapter 05 (:func:`burn_in`). Taught in chapters 03 and 05.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from dofcourse import checks, ensemble, train
from dofcourse.params import Functional, flatten
from dofcourse.projections import DEFAULT_MAX_BYTES, KINDS, StackedProjection, stack_projections
from dofcourse.settings import TrainSettings
from dofcourse.train import History


class Affine:
    """E members theta_e = anchor + P_e z_e (anchor (D,) shared, or (E, D) one per member).
    A projection that holds some weights at zero (``proj.anchor_mask``, the "coordinates" kind of
    chapter 06: a sparse network) zeroes them in the anchor too. Chapter 03."""

    def __init__(self, anchor: Tensor, proj: StackedProjection) -> None:
        if not isinstance(proj, StackedProjection):
            raise TypeError(f"proj must be a projections.StackedProjection, got {proj!r:.60}")
        anchor = checks.tensor(anchor, "anchor", ndim=(1, 2), floating=True)
        if anchor.shape[-1] != proj.D or (anchor.dim() == 2 and anchor.shape[0] != proj.n):
            raise ValueError(
                f"anchor must have shape ({proj.D},) or ({proj.n}, {proj.D}), "
                f"got {tuple(anchor.shape)}"
            )
        anchor = anchor.to(device=proj.mask.device, dtype=proj.dtype)
        mask = proj.anchor_mask
        self.anchor = anchor if mask is None else anchor * mask.to(anchor)
        self.proj, self.n = proj, proj.n

    def init(self) -> Tensor:
        """Z = 0 (E, d_max): every member starts at its anchor (chapter 03)."""
        return torch.zeros(self.proj.n, self.proj.d_max, dtype=self.anchor.dtype,
                           device=self.anchor.device)  # fmt: skip

    def theta(self, z: Tensor) -> Tensor:
        """Theta (E, D) = anchor + P_e z_e for every member, differentiable in Z (chapter 03).

        Z of the expected shape and dtype (the trainer's own) goes straight to the projection;
        anything else through its checks.
        """
        proj = self.proj
        if not (
            isinstance(z, Tensor)
            and z.shape == (proj.n, proj.d_max)
            and z.dtype == proj.dtype
            and z.device == self.anchor.device
        ):
            return self.anchor + proj.apply(z)
        return self.anchor + proj.map(z)


@dataclass
class SubspaceRun:
    """One subspace training: its projection (``kind``, ``d``, ``proj_seed``), the trained z (d,),
    and its :class:`~dofcourse.train.History` (arrays of shape (T,)). Chapter 03."""

    kind: str
    d: int
    proj_seed: int
    z: Tensor
    history: History
    diverged: bool = False

    @property
    def loss(self) -> float:
        """Final training loss. Chapter 03."""
        return float(self.history.loss[-1])

    @property
    def train_acc(self) -> float:
        """Final training accuracy. Chapter 03."""
        return float(self.history.train_acc[-1])

    @property
    def test_acc(self) -> float:
        """Final test accuracy. Chapter 03."""
        return float(self.history.test_acc[-1])


def check_anchor(model: nn.Module, anchor: Tensor | None) -> Tensor:
    """The anchor as a flat (D,) tensor on the model's device and dtype (default: the model's own
    parameters), or a ValueError naming the expected shape. Chapter 03."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    theta0 = flatten(model)
    if anchor is None:
        return theta0
    anchor = checks.tensor(anchor, "anchor", floating=True)
    if anchor.shape != theta0.shape:
        raise ValueError(
            f"anchor must be a flat vector of the model's D={theta0.numel()} parameters, "
            f"got shape {tuple(anchor.shape)}"
        )
    return anchor.detach().to(device=theta0.device, dtype=theta0.dtype)


def train_ensemble(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    dims: Sequence[int],
    proj_seeds: Sequence[int],
    *,
    kind: str = "fastfood",
    anchor: Tensor | None = None,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_eval: Callable[[int, Tensor], None] | None = None,
    progress: bool = True,
    basis: Tensor | None = None,
) -> list[SubspaceRun]:
    """Train E = len(dims) subspaces of ``model`` at once; member e has dimension dims[e] and
    projection seed proj_seeds[e]. Returns one :class:`SubspaceRun` per member, in order.

    ``anchor`` (D,) is theta_0 (default: the model's current parameters, its initialisation);
    the model is never changed. All members see the same mini-batches (``settings.order_seed``).
    ``on_eval(step, Z)`` is called at every evaluation with a copy of the coordinates Z
    (E, max(dims)) (row e uses its first dims[e] entries): chapter 03 draws the path of z on a
    plane with it. ``basis``: the directions of the given kinds "basis" and "coordinates"
    (``projections``; chapter 06's lottery subspaces and tickets). ``eval_examples``: evaluate
    the training split on a fixed subset of this many examples (``ensemble.train_members``).
    """
    kind = checks.choice(kind, "kind", KINDS)
    theta0 = check_anchor(model, anchor)
    dims = checks.integers(dims, "dims", min=1, max=theta0.numel())
    proj_seeds = checks.seeds(proj_seeds, "proj_seeds")
    if len(dims) != len(proj_seeds):
        raise ValueError(f"need one of proj_seeds per dimension, got {len(dims)} dims and "
                         f"{len(proj_seeds)} proj_seeds")  # fmt: skip
    proj = stack_projections(kind, theta0.numel(), dims, proj_seeds, device=theta0.device,
                             dtype=theta0.dtype, max_bytes=max_bytes, basis=basis)  # fmt: skip
    net = Functional.of_module(model)
    report = None if on_eval is None else (lambda step, z: on_eval(step, z.clone()))  # a copy
    run = ensemble.train_members(net, Affine(theta0, proj), data, settings, eval_every=eval_every,
                                 eval_examples=eval_examples, on_eval=report, progress=progress,
                                 desc=f"{kind} x{proj.n}")  # fmt: skip
    return [
        SubspaceRun(kind, d, s, run.u[e, :d].clone(), run.history.member(e), bool(run.diverged[e]))
        for e, (d, s) in enumerate(zip(dims, proj_seeds, strict=True))
    ]


def train_subspace(
    model: nn.Module,
    data: train.Data,
    settings: TrainSettings,
    d: int,
    *,
    kind: str = "fastfood",
    proj_seed: int = 0,
    anchor: Tensor | None = None,
    eval_every: int | None = None,
    eval_examples: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_eval: Callable[[int, Tensor], None] | None = None,
    progress: bool = True,
    basis: Tensor | None = None,
) -> SubspaceRun:
    """Train z (d,) of theta = anchor + P z, P = make_projection(kind, D, d, proj_seed) (given
    directions in ``basis`` for the kinds "basis" and "coordinates").

    With ``kind="identity"`` (d = D) this is ordinary training, step for step. ``on_eval(step,
    z)`` sees z (1, d) at every evaluation (the path of z). Chapter 03.
    """
    d = checks.integer(d, "d", min=1)
    (run,) = train_ensemble(
        model, data, settings, [d], [proj_seed], kind=kind, anchor=anchor,
        eval_every=eval_every, eval_examples=eval_examples, max_bytes=max_bytes, on_eval=on_eval,
        progress=progress, basis=basis,
    )  # fmt: skip
    return run


def burn_in(
    model: nn.Module, data: train.Data, settings: TrainSettings, times: Sequence[int] = ()
) -> dict[int, Tensor]:
    """Anchors theta_t (D,) after t steps of ordinary training from ``model``, for every t in
    ``times`` (0 included if asked: the initialisation), from ONE training run of
    ``max(times)`` steps with ``settings`` (its ``steps`` field is replaced). ``times`` are the
    burn-in times t, not a training length.

    ``model`` itself is not changed (a copy is trained). Chapter 05.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    settings = checks.settings(settings)
    ts = sorted(set(checks.integers(times, "times", min=0)))
    out = {0: flatten(model)} if 0 in ts else {}
    if ts[-1] == 0:
        return out
    trained = copy.deepcopy(model)
    wanted = set(ts)

    def keep(step: int, net: nn.Module) -> None:
        if step in wanted:
            out[step] = flatten(net)

    train.train(trained, data, settings.replace(steps=ts[-1]), eval_every=ts[-1], progress=False,
                on_step=keep)  # fmt: skip
    return dict(sorted(out.items()))
