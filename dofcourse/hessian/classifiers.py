"""Trained classifiers and their spectra: the cached experiments of chapter 02.

Chapter 02 trains MLPs on the first C classes of a dataset to a fixed training loss, several
initialisations at once (one vectorised ensemble, ``dofcourse.ensemble``), and measures their
Hessians. Each step is a package function whose result is cached by ``dofcourse.experiment``
under its complete call (data by content, models by their parameters) and the code it runs, so a
second run of the chapter redraws its figures at once:

* :func:`train_classifiers`: one network per ``init_seed`` (a batched grid over the seeds), with
  its parameters at the end and, if asked, at checkpoint steps;
* :func:`spectrum`: the top-k eigenvalues (Lanczos) and the SLQ density of a network's Hessian;
* :func:`gauss_newton_parts`: Ritz values of H, of its Gauss–Newton part G and of R = H − G.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from dofcourse import checks, ensemble, experiment, models
from dofcourse.hessian.density import SpectralDensity, slq
from dofcourse.hessian.lanczos import lanczos, lanczos_eigs
from dofcourse.hessian.operator import hessian_operator
from dofcourse.params import Functional, flatten, load_into
from dofcourse.settings import TrainSettings


def classifier(
    data: Any, hidden: Sequence[int], theta: Tensor | None = None, *, init_seed: int = 0
) -> nn.Module:
    """An MLP for ``data`` (its input shape and classes) on the data's device: initialised from
    ``init_seed`` (torch's default initialisation, the global generator left untouched), or
    holding the parameters ``theta`` (D,). Chapter 02."""
    if not all(hasattr(data, a) for a in ("input_shape", "n_classes", "x_train")):
        raise TypeError(f"data must be a dofcourse Dataset, got {type(data).__name__}")
    hidden = tuple(checks.integers(hidden, "hidden", min=1))
    model = models.build(models.mlp, data.input_shape, data.n_classes, hidden=hidden,
                         init_seed=init_seed, device=data.x_train.device)  # fmt: skip
    return model if theta is None else load_into(model, theta.to(data.x_train.device))


@experiment.batched(axes=("init_seed",), chunk=8, sort_by=("init_seed",))
def _trained(
    points: list[dict],
    data: Any,
    hidden: tuple[int, ...],
    settings: TrainSettings,
    target_loss: float,
    checkpoints: tuple[int, ...] = (),
    progress: bool = False,
) -> list[dict]:
    """Train one MLP per point as one ensemble until each reaches ``target_loss`` (the grid
    shows the progress over seeds; ``progress`` would add a bar per training)."""
    nets = [classifier(data, hidden, init_seed=p["init_seed"]) for p in points]
    net = Functional.of_module(nets[0])
    wanted, kept = set(checkpoints), {}

    def keep(step: int, u: Tensor) -> None:
        if step in wanted:
            kept[step] = u.detach().cpu().clone()

    run = ensemble.train_members(
        net, ensemble.Free(torch.stack([flatten(m) for m in nets])), data, settings,
        target_loss=target_loss, eval_every=1 if checkpoints else 5, test=False, on_eval=keep,
        progress=progress, desc="training",
    )  # fmt: skip
    out = []
    for e in range(len(points)):
        loss = run.history.loss[e]
        reached = np.flatnonzero(loss <= target_loss)
        stop = int(run.history.step[reached[0]] if reached.size else run.history.step[-1])
        ckpts = {s: kept[s][e] for s in sorted(kept) if s <= stop}
        if checkpoints:  # not a second copy of theta where none were asked for (shipped size)
            ckpts[stop] = run.u[e]
        out.append(
            {"theta": run.u[e], "steps": stop, "loss": float(loss[-1]), "loss_curve": loss,
             "eval_steps": run.history.step, "checkpoints": ckpts}
        )  # fmt: skip
    return out


def train_classifiers(
    data: Any,
    hidden: Sequence[int],
    init_seeds: Sequence[int],
    *,
    settings: TrainSettings,
    target_loss: float,
    checkpoints: Sequence[int] = (),
    progress: bool = True,
) -> list[dict]:
    """One MLP per init seed trained on ``data`` with cross-entropy until its training loss is at
    most ``target_loss`` (or ``settings.steps`` run out); cached per seed. Chapter 02.

    Returns, per seed, a dict: ``theta`` (D,) at the end, ``steps`` taken, final ``loss``, the
    ``loss_curve`` at ``eval_steps``, and ``checkpoints`` {step: theta} for the requested steps
    reached before the end, plus the end itself (requesting checkpoints evaluates every step);
    empty where none were requested, so that a run's cached entry holds theta once.
    """
    if not all(hasattr(data, a) for a in ("input_shape", "n_classes", "x_train")):
        raise TypeError(f"data must be a dofcourse Dataset, got {type(data).__name__}")
    seeds = checks.seeds(init_seeds, "init_seeds")
    target_loss = checks.real(target_loss, "target_loss", min=0.0)
    hidden = tuple(checks.integers(hidden, "hidden", min=1))
    ckpts = (
        tuple(sorted(set(checks.integers(checkpoints, "checkpoints", min=0))))
        if checkpoints
        else ()
    )
    table = experiment.grid(_trained, {"init_seed": seeds}, data=data, hidden=hidden,
                            settings=settings, target_loss=float(target_loss), checkpoints=ckpts,
                            progress=progress, desc=f"{data.n_classes}-class MLPs")  # fmt: skip
    return [row.drop("init_seed").to_dict() for _, row in table.iterrows()]


@dataclass
class Spectrum:
    """``top`` (k,): the largest Hessian eigenvalues (Lanczos), decreasing; ``density``: its SLQ
    spectral density (None without probes); ``D``: the parameter count; ``loss``: the training
    loss there. Chapter 02."""

    top: Tensor
    density: SpectralDensity | None
    D: int  # noqa: N815 (the course's name for the parameter count)
    loss: float


@experiment.cached
def spectrum(
    model: nn.Module,
    data: Any,
    *,
    k: int = 30,
    lanczos_steps: int = 80,
    slq_probes: int = 3,
    slq_steps: int = 50,
) -> Spectrum:
    """The top-``k`` eigenvalues and the SLQ density (``slq_probes`` probes; none for 0) of the
    Hessian of ``model``'s cross-entropy on ``data``'s training split (cached). Chapter 02."""
    k = checks.integer(k, "k", min=1)
    lanczos_steps = checks.integer(lanczos_steps, "lanczos_steps", min=1)
    slq_steps = checks.integer(slq_steps, "slq_steps", min=1)
    probes = checks.integer(slq_probes, "slq_probes", min=0)
    op = hessian_operator(model, data)
    top, _ = lanczos_eigs(op, k, lanczos_steps)
    dens = slq(op, probes, slq_steps, probe_seed=1000) if probes else None
    return Spectrum(top.cpu(), dens, op.dim, op.loss())


@experiment.cached
def gauss_newton_parts(model: nn.Module, data: Any, *, steps: int = 60) -> dict[str, Tensor]:
    """All Ritz values (decreasing) of a ``steps``-step Lanczos run on H, on its Gauss–Newton
    part G and on the residual R = H − G: accurate at both ends of each spectrum (cached).
    Chapter 02."""
    steps = checks.integer(steps, "steps", min=1)
    op = hessian_operator(model, data)
    parts = {"H": op, "G": op.gauss_newton(), "R": op.residual()}
    return {
        name: torch.linalg.eigvalsh(lanczos(part, steps).tridiagonal()).flip(0).cpu()
        for name, part in parts.items()
    }
